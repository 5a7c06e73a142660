//! Integration tests of wsproxy-core, one binary: the core through its public API with
//! scripted backends and pushers (answer sizes, backend paths, fan-out, ids, logs).

mod answer_size;
mod backend_paths;
mod fanout;
mod ids;
mod no_tokens_in_logs;
