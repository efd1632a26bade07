//! Group commit: writes that arrive together (new ideas; the audit records of partner reads) are
//! made by one writer task in one transaction, so that they share one commit (one fsync)
//! instead of each paying for its own. Each writer still learns its own outcome, and only after
//! the commit.

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::{IdempotencyRecord, StoreError};
use crate::domain::StoredIdea;

/// The most writes one transaction takes. Larger batches gain little (the commit is already
/// shared) and hold the write lock longer.
pub const MAX_BATCH: usize = 256;

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
    /// [`MAX_BATCH`], never waiting for more), hands it to `write`, answers each submission,
    /// and ends when every handle to the queue is gone.
    pub(crate) fn start(write: WriteBatch<W>) -> Self {
        let (queue, mut waiting) = mpsc::channel::<Waiting<W>>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (writes, answers): (Vec<_>, Vec<_>) =
                    batch.drain(..).map(|w| (w.write, w.answer)).unzip();
                let results = write(writes).await;
                for (answer, result) in answers.into_iter().zip(results) {
                    // A writer that gave up no longer listens; its write is made all the same.
                    let _ = answer.send(result);
                }
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
