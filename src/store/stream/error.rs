//! Errors of stream operations, each displaying Redis 7.0's exact reply text.

/// A refused stream operation. `Display` is the exact Redis error reply text,
/// including the leading `ERR` code, so the command layer can send it verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// An ID argument that does not parse (`streamGenericParseIDOrReply`).
    #[error("ERR Invalid stream ID specified as stream command argument")]
    InvalidId,
    /// XADD with an ID not greater than the stream's last ID.
    #[error("ERR The ID specified in XADD is equal or smaller than the target stream top item")]
    IdNotGreater,
    /// XADD with the explicit ID `0-0`.
    #[error("ERR The ID specified in XADD must be greater than 0-0")]
    IdZero,
    /// XADD on a stream whose last ID is `18446744073709551615-18446744073709551615`.
    #[error("ERR The stream has exhausted the last possible ID, unable to add more items")]
    Exhausted,
    /// An exclusive start bound `(ID` that cannot be incremented.
    #[error("ERR invalid start ID for the interval")]
    InvalidStart,
    /// An exclusive end bound `(ID` that cannot be decremented.
    #[error("ERR invalid end ID for the interval")]
    InvalidEnd,
    /// The fields and values of one entry sum to more than 1 GiB.
    #[error("ERR Elements are too large to be stored")]
    TooLarge,
    /// XADD with no field/value pair or an odd number of arguments.
    #[error("ERR wrong number of arguments for 'xadd' command")]
    WrongArity,
    /// XSETID below the last live entry.
    #[error("ERR The ID specified in XSETID is smaller than the target stream top item")]
    SetIdTooSmall,
    /// XSETID ENTRIESADDED below the stream length.
    #[error("ERR The entries_added specified in XSETID is smaller than the target stream length")]
    SetIdEntriesAdded,
    /// XSETID with an ID below its own MAXDELETEDID argument.
    #[error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")]
    SetIdMaxDeleted,
}
