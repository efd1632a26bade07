//! Group commit: writes that arrive together (new ideas; the audit records of partner reads) are
//! made by one writer task in one transaction, so that they share one commit (one fsync)
//! instead of each paying for its own. Each writer still learns its own outcome, and only after
//! the commit.

use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout_at};

use super::{IdempotencyRecord, StoreError};
use crate::domain::StoredIdea;

/// The most writes one transaction takes. Larger batches gain little (the commit is already
/// shared) and hold the write lock longer.
pub const MAX_BATCH: usize = 256;

/// How long a transaction waits for more writes before it begins, when writes follow each
/// other closely (the previous transaction ended less than this long before the first write
/// of this one came). Under load, ideas are matched one after another and reach the writer
/// one at a time: without the wait most commits would hold one or two ideas, each paying for
/// its statements, thread hand-offs and `fsync`. A write that comes alone is written at once.
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
    /// [`MAX_BATCH`]; when writes follow each other closely, what comes within [`LINGER`]
    /// too), hands it to `write`, answers each submission, and ends when every handle to the
    /// queue is gone.
    pub(crate) fn start(write: WriteBatch<W>) -> Self {
        let (queue, mut waiting) = mpsc::channel::<Waiting<W>>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            let mut last_ended: Option<Instant> = None;
            while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
                if last_ended.is_some_and(|ended| ended.elapsed() < LINGER) {
                    let deadline = Instant::now() + LINGER;
                    while batch.len() < MAX_BATCH {
                        let room = MAX_BATCH - batch.len();
                        match timeout_at(deadline, waiting.recv_many(&mut batch, room)).await {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                    }
                }
                let (writes, answers): (Vec<_>, Vec<_>) =
                    batch.drain(..).map(|w| (w.write, w.answer)).unzip();
                let results = write(writes).await;
                for (answer, result) in answers.into_iter().zip(results) {
                    // A writer that gave up no longer listens; its write is made all the same.
                    let _ = answer.send(result);
                }
                last_ended = Some(Instant::now());
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

    #[tokio::test(start_paused = true)]
    async fn a_write_alone_begins_at_once_and_writes_that_follow_closely_share_a_commit() {
        let (writer, batches) = noting();

        let started = Instant::now();
        writer.write(1).await.unwrap();
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "nothing came before: no wait"
        );

        // Right after that commit, three writes half a millisecond apart: one transaction.
        let spaced = (2..=4).map(|n| {
            let writer = writer.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_micros(500) * (n - 2)).await;
                writer.write(n).await
            })
        });
        for done in futures_util::future::join_all(spaced).await {
            done.unwrap().unwrap();
        }

        // Long after: alone again, at once.
        tokio::time::sleep(LINGER * 5).await;
        let started = Instant::now();
        writer.write(5).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);

        assert_eq!(*batches.lock().unwrap(), [vec![1], vec![2, 3, 4], vec![5]]);
    }
}
