#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v2 and v3), which the -sys crate does not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // A run is a short batch job that allocates and frees large column buffers. mimalloc's
    // default returns freed pages to the OS after 10 ms, and the kernel must then zero them again
    // on the next allocation: on the S10 benchmark that churn was 40% of the wall time. Never
    // returning them kept the text of the inputs, freed once checked, in the process until the
    // end, where the metrics and outputs need fresh memory: a peak of 1.9 GiB at S10. Pages left
    // unused for a second go back: 1.55 GiB, and the wall time within the noise. (BENCHMARKS.md
    // has the figures.)
    // SAFETY: sets a process-wide allocator option before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
    // Output piped into `head` ends quietly, as with other command-line tools, rather than with
    // a panic on the closed pipe.
    // SAFETY: restores the default action of one signal before any thread is started.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(factorscore::cli::main());
}
