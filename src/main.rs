//! The ringbus binary: configuration, logging, and the server until SIGINT/SIGTERM.

use std::process::ExitCode;

use anyhow::Context as _;
use ringbus::config::{Config, ConfigError, LogFormat};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, reload, EnvFilter};

fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args_os()) {
        Ok(c) => c,
        Err(ConfigError::Cli(e)) => e.exit(),
        Err(e) => {
            eprintln!("ringbus: {e}");
            return ExitCode::from(2);
        }
    };
    let reload_log = init_logging(&config);
    match run(config, reload_log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("ringbus: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sets up logging and returns the hook that swaps the filter at run time.
fn init_logging(config: &Config) -> ringbus::server::LogReloader {
    // An explicit --log-level wins; otherwise RUST_LOG; otherwise `info`.
    let filter = match &config.log_level {
        Some(level) => EnvFilter::try_new(level),
        None => EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new("info")),
    }
    .unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter, handle) = reload::Layer::new(filter);
    let json = matches!(config.log_format, LogFormat::Json);
    // Colours only on a terminal: log collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::registry()
        .with(filter)
        .with(json.then(|| fmt::layer().json().with_writer(std::io::stderr)))
        .with((!json).then(|| fmt::layer().with_ansi(ansi).with_writer(std::io::stderr)))
        .init();
    Box::new(move |level: &str| {
        let filter = EnvFilter::try_new(level).map_err(|e| e.to_string())?;
        handle.reload(filter).map_err(|e| e.to_string())
    })
}

fn run(config: Config, reload_log: ringbus::server::LogReloader) -> anyhow::Result<()> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    // 0 leaves the count to tokio: one per core the process may use, or
    // TOKIO_WORKER_THREADS when that is set.
    if config.worker_threads > 0 {
        builder.worker_threads(config.worker_threads);
    }
    let runtime = builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    tracing::info!(
        worker_threads = runtime.metrics().num_workers(),
        "runtime started"
    );
    runtime.block_on(async {
        let server = ringbus::server::start(config).await?;
        server.state().set_log_reloader(reload_log);
        let shutdown = server.state().shutdown.clone();
        tokio::select! {
            _ = shutdown_signal() => {
                tracing::info!("signal received, shutting down");
                server.shutdown();
            }
            _ = shutdown.cancelled() => {}
        }
        server.wait().await;
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
