//! Remote schemas on the server side: fetching their introspection (`introspect`),
//! forwarding a request's remote part (`forward`), and filling remote relationships (`join`).

pub mod forward;
pub mod introspect;
pub mod join;
