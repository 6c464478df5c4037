//! Giving freed memory back to the system at the points of a run where much was just freed.
//!
//! The binary's allocator (mimalloc, see `main.rs`) keeps freed pages for a second before it
//! returns them, so that the next allocations reuse them instead of asking the kernel for
//! zeroed pages again. Where a phase frees large buffers that nothing after it reuses (the text
//! of checked tables, the sweep's amounts), those pages would still count in the peak while the
//! next phase takes fresh ones: [`give_back`] returns them at once.

/// Returns the pages freed so far to the system. Without mimalloc as the global allocator (the
/// library's tests) it has nothing to return.
pub fn give_back() {
    // SAFETY: `mi_collect` takes no pointer and may be called from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
