use std::process::ExitCode;

/// mimalloc: the service allocates many small, short-lived buffers per request (analysed
/// words, JSON, rows); glibc's allocator spent a fifth of the CPU of a catalog page on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    sammen::cli::run().await
}
