//! `keygated-openapi`: prints the OpenAPI document keygated serves at `/openapi.json`, generated from
//! the code. `cargo xtask openapi` writes it to `docs/openapi.json`.

#![allow(clippy::print_stdout)]

fn main() {
    print!("{}", keygated::openapi::json());
}
