//! The error replies commands give. Their `Display` is the exact Redis text (code
//! first), because clients match on it; the code is also what INFO errorstats counts.

use std::fmt;

/// An error reply. `Display` gives the full text after the `-`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Wrong number of arguments; holds the command name as Redis prints it
    /// (`xadd`, `client|kill`).
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    /// No command by that name.
    #[error("ERR unknown command '{name}', with args beginning with: {args}")]
    UnknownCommand {
        /// The name as the client sent it.
        name: String,
        /// The first arguments, each quoted and followed by a space.
        args: String,
    },
    /// A container command (CLIENT, CONFIG, ...) with an unknown subcommand.
    #[error("ERR unknown subcommand '{sub}'. Try {command} HELP.")]
    UnknownSubcommand {
        /// The subcommand as sent.
        sub: String,
        /// The container, upper case.
        command: String,
    },
    /// Options that do not fit together or are not known.
    #[error("ERR syntax error")]
    Syntax,
    /// An argument that must be an integer is not one.
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    /// Authentication is required before this command.
    #[error("NOAUTH Authentication required.")]
    NoAuth,
    /// AUTH with the wrong password.
    #[error("WRONGPASS invalid username-password pair or user is disabled.")]
    WrongPass,
    /// A command for another data type on a stream key.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// A command that needs an existing key.
    #[error("ERR no such key")]
    NoSuchKey,
    /// Over `maxmemory`, a command that may grow memory is refused.
    #[error("OOM command not allowed when used memory > 'maxmemory'.")]
    OutOfMemory,
    /// Any other `ERR ...` reply; holds the text after `ERR `.
    #[error("ERR {0}")]
    Err(String),
    /// An error with its own code (e.g. `NOGROUP ...`, `BUSYGROUP ...`): the full text.
    #[error("{0}")]
    Coded(String),
}

impl CommandError {
    /// A plain `ERR` error with `text` after the code.
    pub fn err(text: impl Into<String>) -> Self {
        CommandError::Err(text.into())
    }

    /// The error code INFO errorstats counts it under (`ERR`, `WRONGTYPE`, ...).
    pub fn code(&self) -> String {
        let text = self.to_string();
        text.split(' ').next().unwrap_or("ERR").to_string()
    }

    /// Redis's unknown-command error for `argv` (name plus arguments).
    pub fn unknown_command(argv: &[&[u8]]) -> Self {
        let name = argv.first().map(|a| lossy(a, 128)).unwrap_or_default();
        let mut args = String::new();
        // Redis lists the arguments that fit in 128 bytes of output.
        for arg in argv.iter().skip(1) {
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            args.push('\'');
            args.push_str(&lossy(arg, room));
            args.push_str("' ");
        }
        CommandError::UnknownCommand { name, args }
    }
}

/// Text of `bytes` for an error message, cut at `max` bytes, newlines replaced.
pub(crate) fn lossy(bytes: &[u8], max: usize) -> String {
    let cut = &bytes[..bytes.len().min(max)];
    String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

/// Lets `?` turn a formatting failure into a reply error (never expected in practice).
impl From<fmt::Error> for CommandError {
    fn from(_: fmt::Error) -> Self {
        CommandError::err("internal formatting error")
    }
}
