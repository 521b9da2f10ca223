//! Where schemas are built, and giving freed memory back to the operating system.
//!
//! Building a schema allocates a lot for a short time (SDL text, syntax tree, validation) between
//! the allocations that stay, and a metadata change frees a whole engine state at once. With
//! glibc's allocator every thread has its own arena; schemas built on whichever thread served a
//! request would leave partly used pages in all of them. So every schema is built on one
//! dedicated thread (its arena holds all schema memory, and later builds reuse the holes earlier
//! ones left), and afterwards the allocator's free pages are returned with `malloc_trim`.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::OnceLock;

type Job = Box<dyn FnOnce() + Send>;

static SCHEMA_THREAD: OnceLock<mpsc::Sender<Job>> = OnceLock::new();

/// A thread running jobs one after the other, returning free memory after each.
fn dedicated_thread(name: &str) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name(name.into())
        .stack_size(16 << 20)
        .spawn(move || {
            for job in rx {
                job();
                release_free_memory();
            }
        })
        .expect("a dedicated thread starts");
    tx
}

/// The schema thread, started on first use.
fn schema_thread() -> &'static mpsc::Sender<Job> {
    SCHEMA_THREAD.get_or_init(|| dedicated_thread("rasura-schema"))
}

/// Runs `f` on the schema thread and waits for its result (a panic in `f` is re-raised here).
pub fn on_schema_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let sender = schema_thread();
    let (done, result) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = done.send(catch_unwind(AssertUnwindSafe(f)));
    });
    sender.send(job).expect("the schema thread runs");
    match result.recv().expect("the schema thread answers") {
        Ok(value) => value,
        Err(panic) => resume_unwind(panic),
    }
}

/// Frees `value` on the schema thread, which then returns free memory to the system: freeing a
/// whole engine state takes a while, and the caller (a metadata request) need not wait for it.
pub fn free_later<T: Send + 'static>(value: T) {
    // Should the thread be gone, the job (and `value`) is freed here instead.
    let _ = schema_thread().send(Box::new(move || drop(value)));
}

static HEAVY_THREAD: OnceLock<mpsc::Sender<Job>> = OnceLock::new();

/// Runs `f` (parsing, planning or introspecting a large document) on the one thread kept for
/// such work, and waits for it without blocking the caller's event loop. One thread: hostile or
/// merely large documents take at most one core from the serving threads, and their short-lived
/// allocations stay in one arena, whose free pages are returned after each job. A panic in `f`
/// comes back as `Err` with its message (the request fails; the server goes on).
pub async fn off_the_serving_threads<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, String> {
    let sender = HEAVY_THREAD.get_or_init(|| dedicated_thread("rasura-heavy"));
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(catch_unwind(AssertUnwindSafe(f)));
    });
    sender.send(job).expect("the heavy-work thread runs");
    match result.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into())),
        Err(_) => Err("the heavy-work thread stopped".into()),
    }
}

/// Returns the allocator's free pages to the system (glibc only; elsewhere a no-op).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::off_the_serving_threads;

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_thread_goes_on() {
        let failed = off_the_serving_threads(|| -> u32 { panic!("boom") }).await;
        assert_eq!(failed, Err("boom".to_string()));
        assert_eq!(off_the_serving_threads(|| 41 + 1).await, Ok(42));
    }
}
