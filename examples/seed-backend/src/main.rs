//! The tutorial's backend in Rust: the `login` action, the `user` insert event, and the `hello`
//! remote schema, on `rasura-sdk`.

mod handlers;
mod hello;

use std::net::SocketAddr;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("hash-password") {
        return match args.get(2) {
            Some(pw) => match handlers::hash_password(pw) {
                Ok(h) => {
                    println!("{h}");
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("seed-backend: {e}");
                    std::process::ExitCode::FAILURE
                }
            },
            None => {
                eprintln!("usage: seed-backend hash-password <password>");
                std::process::ExitCode::from(2)
            }
        };
    }
    let config = handlers::Config::from_env();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("seed-backend: cannot listen on {addr}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        println!(
            "seed-backend: listening on http://{addr} (engine {})",
            config.engine_url
        );
        match axum::serve(listener, handlers::app(config)).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("seed-backend: {e}");
                std::process::ExitCode::FAILURE
            }
        }
    })
}
