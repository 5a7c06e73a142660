//! Process limits a gateway with many sockets needs.

/// Lifts the soft open-files limit to the hard one: every socket is a file descriptor.
pub(crate) fn raise_fd_limit() {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "could not raise the open-files limit; many sockets may fail to open");
    }
}
