//! A Hasura CLI project directory (config v3) and the `rasura` commands that work on it:
//! metadata files, migrations, seeds, deploy and init.

pub mod actions_sdl;
pub mod client;
pub mod cmd;
pub mod config;
pub mod diff;
pub mod layout;
pub mod migrations;
pub mod state;
pub mod yaml;
