//! Group commit: writes that arrive together (new ideas; the audit records of partner reads) are
//! made by one writer task in one transaction, so that they share one commit (one fsync)
//! instead of each paying for its own. Each writer still learns its own outcome, and only after
//! the commit.

use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{IdempotencyRecord, StoreError};
use crate::domain::StoredIdea;

/// The most writes one transaction takes. Larger batches gain little (the commit is already
/// shared) and hold the write lock longer.
pub const MAX_BATCH: usize = 256;

/// How long a transaction waits for more writes before it begins, when writes are coming
/// together: the previous transaction held more than one and ended less than this long before
/// the first write of this one came. Under load, ideas are matched one after another and reach
/// the writer one at a time: without the wait most commits would hold one or two ideas, each
/// paying for its statements, thread hand-offs and `fsync`. A write that comes alone, or
/// writes spaced wider than a commit, begin at once.
pub const LINGER: Duration = Duration::from_millis(2);

/// A new idea and, when the request had one, its idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct IdeaWrite {
    /// The idea.
    pub idea: StoredIdea,
    /// Its `Idempotency-Key`, remembered in the same transaction.
    pub key: Option<IdempotencyRecord>,
}

/// Writes a batch in one transaction; one result per write, in order.
pub(crate) type WriteBatch<W> =
    Box<dyn Fn(Vec<W>) -> BoxFuture<'static, Vec<Result<(), StoreError>>> + Send + Sync>;

struct Waiting<W> {
    write: W,
    answer: oneshot::Sender<Result<(), StoreError>>,
}

/// The queue to a writer task of one store, for writes of kind `W`.
pub(crate) struct GroupCommit<W> {
    queue: mpsc::Sender<Waiting<W>>,
}

impl<W> Clone for GroupCommit<W> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<W: Send + 'static> GroupCommit<W> {
    /// Starts the writer task on the current runtime. It takes whatever is waiting (at most
    /// [`MAX_BATCH`]; when writes are coming together, what comes within [`LINGER`] too),
    /// hands it to `write`, answers each submission, and ends when every handle to the queue
    /// is gone.
    pub(crate) fn start(write: WriteBatch<W>) -> Self {
        let (queue, mut waiting) = mpsc::channel::<Waiting<W>>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            // When the previous transaction ended, if it held more than one write.
            let mut shared_ended: Option<Instant> = None;
            while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
                // A full batch begins at once.
                if batch.len() < MAX_BATCH
                    && shared_ended.is_some_and(|ended| ended.elapsed() < LINGER)
                {
                    // Asleep through the wait, then taking what came: woken for each write,
                    // the writer would cost each a hand-off between threads.
                    tokio::time::sleep(LINGER).await;
                    while batch.len() < MAX_BATCH
                        && let Ok(write) = waiting.try_recv()
                    {
                        batch.push(write);
                    }
                }
                let shared = batch.len() > 1;
                let (writes, answers): (Vec<_>, Vec<_>) =
                    batch.drain(..).map(|w| (w.write, w.answer)).unzip();
                let results = write(writes).await;
                for (answer, result) in answers.into_iter().zip(results) {
                    // A writer that gave up no longer listens; its write is made all the same.
                    let _ = answer.send(result);
                }
                shared_ended = shared.then(Instant::now);
            }
        });
        Self { queue }
    }

    /// Queues one write and waits until the transaction that made it has committed (or failed).
    pub(crate) async fn write(&self, write: W) -> Result<(), StoreError> {
        let (answer, outcome) = oneshot::channel();
        let gone = || {
            tracing::error!("a writer task is gone (its runtime stopped)");
            StoreError::Unavailable(sqlx::Error::WorkerCrashed)
        };
        self.queue
            .send(Waiting { write, answer })
            .await
            .map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }
}

/// The outcomes of a batch whose shared transaction failed: every write of it fails with it.
pub(crate) fn all_failed(count: usize, error: StoreError) -> Vec<Result<(), StoreError>> {
    let error = std::sync::Arc::new(error);
    (0..count)
        .map(|_| Err(StoreError::BatchFailed(error.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// The batches a writer was given, in order.
    type Batches = Arc<Mutex<Vec<Vec<u32>>>>;

    /// A writer that notes each batch and makes every write.
    fn noting() -> (GroupCommit<u32>, Batches) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let noted = batches.clone();
        let writer = GroupCommit::start(Box::new(move |writes: Vec<u32>| {
            let results = writes.iter().map(|_| Ok(())).collect();
            noted.lock().unwrap().push(writes);
            Box::pin(async move { results })
        }));
        (writer, batches)
    }

    /// Writes `numbers` half a millisecond apart, each as soon as it is due.
    async fn spaced(writer: &GroupCommit<u32>, numbers: std::ops::RangeInclusive<u32>) {
        let first = *numbers.start();
        let writes = numbers.map(|n| {
            let writer = writer.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_micros(500) * (n - first)).await;
                writer.write(n).await
            })
        });
        for done in futures_util::future::join_all(writes).await {
            done.unwrap().unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_begins_at_once_even_when_writes_are_coming_together() {
        let (writer, batches) = noting();
        let (one, two) = tokio::join!(writer.write(0), writer.write(1));
        one.and(two).unwrap();

        // Right after a shared transaction, a full batch at once: no wait for company.
        let count = u32::try_from(MAX_BATCH).unwrap();
        let started = Instant::now();
        // Each in its own task, all queued before the writer runs.
        let writes = (2..2 + count).map(|n| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.write(n).await })
        });
        for done in futures_util::future::join_all(writes).await {
            done.unwrap().unwrap();
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
        let batches = batches.lock().unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[1], (2..2 + count).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn writes_coming_together_share_a_commit_and_a_write_alone_begins_at_once() {
        let (writer, batches) = noting();

        // Two at once: one transaction, begun at once (nothing came before).
        let started = Instant::now();
        let (one, two) = tokio::join!(writer.write(1), writer.write(2));
        one.and(two).unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
        // Right after it, three writes half a millisecond apart: they wait for each other.
        spaced(&writer, 3..=5).await;
        // Right after that, one write: it waits for company, which does not come...
        let started = Instant::now();
        writer.write(6).await.unwrap();
        assert_eq!(started.elapsed(), LINGER);
        // ...so the next one right after it begins at once.
        let started = Instant::now();
        writer.write(7).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
        // Long after a shared transaction: alone again, at once.
        let (eight, nine) = tokio::join!(writer.write(8), writer.write(9));
        eight.and(nine).unwrap();
        tokio::time::sleep(LINGER * 5).await;
        let started = Instant::now();
        writer.write(10).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);

        assert_eq!(
            *batches.lock().unwrap(),
            [
                vec![1, 2],
                vec![3, 4, 5],
                vec![6],
                vec![7],
                vec![8, 9],
                vec![10]
            ]
        );
    }
}
