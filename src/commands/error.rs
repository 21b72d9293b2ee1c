//! The error replies commands give. Their `Display` is the exact Redis text (code
//! first), because clients match on it; the code is also what INFO errorstats counts.

use std::fmt;

/// An error reply. `Display` gives the full text after the `-`, for logs and tests;
/// [`reply_text`](Self::reply_text) gives the bytes the client receives, which can
/// quote the client's own bytes as they came, UTF-8 or not.
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
        name: ErrText,
        /// The first arguments, each quoted and followed by a space.
        args: ErrText,
    },
    /// A container command (CLIENT, CONFIG, ...) with an unknown subcommand.
    #[error("ERR unknown subcommand '{sub}'. Try {command} HELP.")]
    UnknownSubcommand {
        /// The subcommand as sent.
        sub: ErrText,
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
    Err(ErrText),
    /// An error with its own code (e.g. `NOGROUP ...`, `BUSYGROUP ...`): the full text.
    #[error("{0}")]
    Coded(ErrText),
}

impl CommandError {
    /// A plain `ERR` error with `text` after the code.
    pub fn err(text: impl Into<ErrText>) -> Self {
        CommandError::Err(text.into())
    }

    /// The error code INFO errorstats counts it under (`ERR`, `WRONGTYPE`, ...).
    pub fn code(&self) -> String {
        let text = self.to_string();
        text.split(' ').next().unwrap_or("ERR").to_string()
    }

    /// Redis's unknown-command error for `argv` (name plus arguments).
    pub fn unknown_command(argv: &[&[u8]]) -> Self {
        let name = argv
            .first()
            .map(|a| ErrText::quote(a, 128))
            .unwrap_or_default();
        let mut args = Vec::new();
        // Redis lists the arguments that fit in 128 bytes of output.
        for arg in argv.iter().skip(1) {
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            args.push(b'\'');
            args.extend_from_slice(&ErrText::quote(arg, room).0);
            args.extend_from_slice(b"' ");
        }
        CommandError::UnknownCommand {
            name,
            args: ErrText(args),
        }
    }

    /// The reply's text after the `-`, as the client receives it: the `Display`
    /// text, with a client's bytes quoted as they came.
    pub fn reply_text(&self) -> Vec<u8> {
        match self {
            CommandError::UnknownCommand { name, args } => [
                &b"ERR unknown command '"[..],
                &name.0,
                b"', with args beginning with: ",
                &args.0,
            ]
            .concat(),
            CommandError::UnknownSubcommand { sub, command } => [
                &b"ERR unknown subcommand '"[..],
                &sub.0,
                b"'. Try ",
                command.as_bytes(),
                b" HELP.",
            ]
            .concat(),
            CommandError::Err(text) => [&b"ERR "[..], &text.0].concat(),
            CommandError::Coded(text) => text.0.clone(),
            other => other.to_string().into_bytes(),
        }
    }
}

/// The text of an error reply. Bytes rather than a `String`, because Redis quotes
/// a client's bytes in its errors as they came, UTF-8 or not. Newlines become
/// spaces when the reply is written (`Reply::error_bytes`); `Display` shows the
/// text lossily, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrText(Vec<u8>);

impl ErrText {
    /// A client's bytes as Redis's `%.<max>s` quotes them: up to `max` bytes and
    /// up to the first NUL (a C string), otherwise as sent.
    pub fn quote(bytes: &[u8], max: usize) -> ErrText {
        let cut = &bytes[..bytes.len().min(max)];
        let end = cut.iter().position(|&b| b == 0).unwrap_or(cut.len());
        ErrText(cut[..end].to_vec())
    }

    /// `template` with each `{}` replaced by the next of `parts`: a `format!` that
    /// keeps the parts' bytes.
    pub fn fill(template: &str, parts: &[ErrText]) -> ErrText {
        let mut pieces = template.split("{}");
        let mut out = pieces.next().unwrap_or_default().as_bytes().to_vec();
        for (piece, part) in pieces.zip(parts) {
            out.extend_from_slice(&part.0);
            out.extend_from_slice(piece.as_bytes());
        }
        ErrText(out)
    }

    /// The bytes the client receives.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<String> for ErrText {
    fn from(text: String) -> Self {
        ErrText(text.into_bytes())
    }
}

impl From<&str> for ErrText {
    fn from(text: &str) -> Self {
        ErrText(text.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for ErrText {
    fn from(bytes: Vec<u8>) -> Self {
        ErrText(bytes)
    }
}

impl fmt::Display for ErrText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&lossy(&self.0, usize::MAX))
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
