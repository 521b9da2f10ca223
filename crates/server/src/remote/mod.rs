//! Remote schemas on the server side: fetching their introspection (`introspect`) and
//! forwarding a request's remote part (`forward`).

pub mod forward;
pub mod introspect;
