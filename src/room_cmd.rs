//! The commands of the counting room in a browser: `serve` and `committee`. Their arguments live
//! here beside what they print, so the rest of the command line stays as it was.

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use kiemphieu::api::{self, ApiError, Vote};
use kiemphieu::serve::{ServeEvent, ServeOptions};
use kiemphieu::watch::WatchConfig;

/// `kiemphieu serve`
#[derive(Args)]
pub struct ServeArgs {
    /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
    #[arg(value_name = "VOTE_DIR")]
    vote: PathBuf,
    /// Where to listen, HOST:PORT. Another address than loopback is reachable from other
    /// machines (a warning says so); port 0 takes a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Also scan what a document scanner writes into this folder, as `watch` does.
    #[arg(long)]
    watch: Option<PathBuf>,
    /// With --watch: how long a file must stay unchanged before it is read.
    #[arg(long, default_value_t = 1000)]
    settle_ms: u64,
    /// With --watch: how often the folder is listed.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
    /// Two-person review: a decision taken in the room (page or API) is a proposal, and takes
    /// effect only when a second, different signed-in member confirms it; recorded with both
    /// names. `review decide` from a terminal still decides alone.
    #[arg(long)]
    two_person: bool,
}

/// `kiemphieu committee`
#[derive(Subcommand)]
pub enum CommitteeAction {
    /// Add a member who may sign in to `serve` (the passphrase is typed twice, or read from
    /// standard input with --password-stdin); only an Argon2id hash of it is kept.
    Add {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// The member's name, as it is to appear beside their decisions.
        #[arg(long)]
        name: String,
        /// Read the passphrase from the first line of standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// The members who may sign in.
    List {
        /// The vote folder.
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
    },
}

pub fn serve(args: ServeArgs) -> anyhow::Result<u8> {
    if let Some(folder) = &args.watch
        && !folder.is_dir()
    {
        return Err(ApiError::NoSuchPath {
            path: folder.clone(),
        }
        .into());
    }
    let ms = std::time::Duration::from_millis;
    let opts = ServeOptions {
        vote: args.vote,
        listen: args.listen,
        watch: args.watch,
        watch_config: WatchConfig::from_settle(ms(args.settle_ms), ms(args.poll_ms), false),
        two_person: args.two_person,
    };
    kiemphieu::serve::serve(opts, |event| match event {
        ServeEvent::Listening(url) => {
            use std::io::Write;
            println!("listening on {url}");
            let _ = std::io::stdout().flush();
        }
        ServeEvent::Warning { message, hint } => eprintln!("warning: {message}\nhint: {hint}"),
        ServeEvent::WatchFailed(e) => eprintln!("error: the watch folder stopped: {e}"),
        ServeEvent::Stopping => eprintln!("stopping"),
    })?;
    Ok(0)
}

pub fn committee(action: CommitteeAction) -> anyhow::Result<u8> {
    match action {
        CommitteeAction::Add {
            vote,
            name,
            password_stdin,
        } => {
            let mut v = Vote::open(&vote)?;
            // Checked before the passphrase is asked for.
            let name = api::member_name(&name)?;
            let passphrase = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\n', '\r']).to_string()
            } else {
                typed_twice()?
            };
            let name = api::add_member(&mut v, &name, &passphrase)?;
            println!(
                "{name} may now sign in to kiemphieu serve {}",
                vote.display()
            );
            Ok(0)
        }
        CommitteeAction::List { vote } => {
            let v = Vote::open_read_only(&vote)?;
            for name in api::members(&v)? {
                println!("{name}");
            }
            Ok(0)
        }
    }
}

fn typed_twice() -> Result<String, ApiError> {
    let no_terminal = |e: std::io::Error| {
        ApiError::refused(
            format!("cannot read the passphrase from a terminal: {e}"),
            "in a script, give it on standard input with --password-stdin",
        )
    };
    let first = rpassword::prompt_password("passphrase: ").map_err(no_terminal)?;
    let second = rpassword::prompt_password("the same again: ").map_err(no_terminal)?;
    if first != second {
        return Err(ApiError::refused(
            "the two passphrases differ; nothing was recorded",
            "run the command again and type the same passphrase twice",
        ));
    }
    Ok(first)
}
