//! Group commit for new ideas: submissions that arrive together are written by one writer task
//! in one transaction, so that they share one commit (one fsync) instead of each paying for its
//! own. Each submission still learns its own outcome, and only after the commit.

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::{IdempotencyRecord, StoreError};
use crate::domain::StoredIdea;

/// The most ideas one transaction takes. Larger batches gain little (the commit is already
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

/// Writes a batch in one transaction; one result per idea, in order.
pub(crate) type WriteBatch =
    Box<dyn Fn(Vec<IdeaWrite>) -> BoxFuture<'static, Vec<Result<(), StoreError>>> + Send + Sync>;

struct Waiting {
    write: IdeaWrite,
    answer: oneshot::Sender<Result<(), StoreError>>,
}

/// The queue to the writer task of one store.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Waiting>,
}

impl GroupCommit {
    /// Starts the writer task on the current runtime. It takes whatever is waiting (at most
    /// [`MAX_BATCH`], never waiting for more), hands it to `write`, answers each submission,
    /// and ends when every handle to the queue is gone.
    pub(crate) fn start(write: WriteBatch) -> Self {
        let (queue, mut waiting) = mpsc::channel::<Waiting>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (writes, answers): (Vec<_>, Vec<_>) =
                    batch.drain(..).map(|w| (w.write, w.answer)).unzip();
                let results = write(writes).await;
                for (answer, result) in answers.into_iter().zip(results) {
                    // A submitter that gave up no longer listens; its idea is stored all the same.
                    let _ = answer.send(result);
                }
            }
        });
        Self { queue }
    }

    /// Queues one idea and waits until the transaction that wrote it has committed (or failed).
    pub(crate) async fn write(&self, write: IdeaWrite) -> Result<(), StoreError> {
        let (answer, outcome) = oneshot::channel();
        let gone = || {
            tracing::error!("the idea writer task is gone (its runtime stopped)");
            StoreError::Unavailable(sqlx::Error::WorkerCrashed)
        };
        self.queue
            .send(Waiting { write, answer })
            .await
            .map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }
}
