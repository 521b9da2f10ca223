//! Request and response transforms of webhooks (actions, event and scheduled triggers): the
//! Kriti template language, Hasura's `request_transform` applied to a request, and its
//! `response_transform` applied to an answer's body.

pub mod kriti;
pub mod request;
pub mod response;

#[cfg(test)]
mod tests;
