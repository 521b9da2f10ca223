//! Native queries and logical models: their metadata (`model`), the SQL template with
//! `{{argument}}` placeholders (`code`) and the metadata API's edits (`edits`).

pub mod code;
pub mod edits;
pub mod model;

pub use code::{Code, Part};
pub use model::{
    FieldType, LogicalModel, ModelField, NativeArg, NativeQuery, NqRelationship, RelTarget, Returns,
};
