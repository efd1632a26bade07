use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    sammen::cli::run().await
}
