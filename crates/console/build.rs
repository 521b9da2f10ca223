//! Rebuilds the crate when anything in `console/dist` changes (files added or removed too:
//! a release build embeds the directory as it is).

fn main() {
    println!("cargo:rerun-if-changed=../../console/dist");
}
