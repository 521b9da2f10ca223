//! Remote schemas at run time: fetching their introspection (`introspect`), forwarding a
//! request's remote root fields (`forward`), and filling remote relationships (`join`).

pub mod forward;
pub mod introspect;
pub mod join;
