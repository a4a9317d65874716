//! Jobs on one value (a shard writer, a spool), run one at a time in submission order as jobs
//! of the worker pool.
//!
//! - The sink thread of a docs stage used to encode and write everything itself: a serial
//!   thread beside the pool, so one worker silently had a second core and work never spread.
//!   A chain moves that work into the pool while the sink gathers the next batch.
//! - Jobs of one chain never overlap and run in order, so what they write is the same as
//!   writing inline, for any worker count. At most one job per chain is in flight: memory
//!   stays at one batch per chain.

use anyhow::{Result, anyhow};
use crossbeam_channel::Receiver;

pub struct Chain<'p, T: Send + 'static> {
    /// `None` runs each job on the calling thread.
    pool: Option<&'p rayon::ThreadPool>,
    slot: Slot<T>,
}

enum Slot<T> {
    Ready(T),
    Running(Receiver<Result<T>>),
    /// A job failed: its error was returned once; the value is gone.
    Failed,
}

impl<'p, T: Send + 'static> Chain<'p, T> {
    pub fn new(pool: Option<&'p rayon::ThreadPool>, value: T) -> Self {
        Chain {
            pool,
            slot: Slot::Ready(value),
        }
    }

    /// Run later jobs in `pool`.
    pub fn set_pool(&mut self, pool: &'p rayon::ThreadPool) {
        self.pool = Some(pool);
    }

    /// The value, after waiting for the job in flight (returns its error, if it failed).
    pub fn get(&mut self) -> Result<&mut T> {
        if let Slot::Running(done) = &self.slot {
            let r = done
                .recv()
                .unwrap_or_else(|_| Err(anyhow!("a sink job vanished (a bug)")));
            self.slot = match r {
                Ok(v) => Slot::Ready(v),
                Err(e) => {
                    self.slot = Slot::Failed;
                    return Err(e);
                }
            };
        }
        match &mut self.slot {
            Slot::Ready(v) => Ok(v),
            _ => Err(anyhow!("an earlier sink job failed")),
        }
    }

    /// Run `job` on the value after the job in flight: in the pool, or here without one.
    pub fn submit(&mut self, job: impl FnOnce(T) -> Result<T> + Send + 'static) -> Result<()> {
        self.get()?;
        let Slot::Ready(v) = std::mem::replace(&mut self.slot, Slot::Failed) else {
            return Err(anyhow!("an earlier sink job failed"));
        };
        self.slot = match self.pool {
            None => Slot::Ready(job(v)?),
            Some(pool) => {
                let (tx, rx) = crossbeam_channel::bounded(1);
                pool.spawn(move || {
                    // a panic in a pool job would abort the process: make it this run's error
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(v)))
                        .unwrap_or_else(|_| Err(anyhow!("a sink job panicked (a bug)")));
                    let _ = tx.send(r);
                });
                Slot::Running(rx)
            }
        };
        Ok(())
    }

    /// The value once every job is done.
    pub fn into_inner(mut self) -> Result<T> {
        self.get()?;
        match self.slot {
            Slot::Ready(v) => Ok(v),
            _ => Err(anyhow!("an earlier sink job failed")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_in_order_in_the_pool_and_inline() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        for p in [Some(&pool), None] {
            let mut c = Chain::new(p, Vec::new());
            for i in 0..100 {
                c.submit(move |mut v: Vec<i32>| {
                    v.push(i);
                    Ok(v)
                })
                .unwrap();
            }
            assert_eq!(c.into_inner().unwrap(), (0..100).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_failed_or_panicking_job_is_an_error_not_an_abort() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let mut c = Chain::new(Some(&pool), 0);
        c.submit(|_| Err(anyhow!("disk full"))).unwrap();
        assert!(c.get().unwrap_err().to_string().contains("disk full"));
        assert!(c.submit(Ok).is_err());
        let mut c = Chain::new(Some(&pool), 0);
        c.submit(|_| panic!("bug")).unwrap();
        assert!(c.into_inner().unwrap_err().to_string().contains("panicked"));
    }
}
