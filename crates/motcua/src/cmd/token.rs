//! `motcua token new`: a fresh API token and the hash to put in the accounts file.

use std::process::ExitCode;

/// Arguments of `motcua token`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print a new random token (give it to its owner once) and its SHA-256 (for the accounts
    /// file, which never holds tokens).
    New,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::New => {
            let token = motcua_api::new_token()?;
            say!("token:        {}", token.token.expose_secret());
            say!("token_sha256: {}", token.sha256);
        }
    }
    Ok(ExitCode::SUCCESS)
}
