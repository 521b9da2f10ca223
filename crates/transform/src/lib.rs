//! Request and response transforms of webhooks (actions, event and scheduled triggers): the
//! Kriti template language, and Hasura's `request_transform` applied to a request.

pub mod kriti;
pub mod request;

#[cfg(test)]
mod tests;
