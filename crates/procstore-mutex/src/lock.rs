//! The one abstraction over the four locks.

use std::sync::PoisonError;

/// A lock around a `T`, used through closures so no guard escapes.
pub trait Lock<T>: Send + Sync + 'static {
    /// A lock around `value`.
    fn new(value: T) -> Self;
    /// Runs `f` with shared access (exclusive for a mutex).
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R;
    /// Runs `f` with exclusive access.
    fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

// std: poison is ignored; see the crate docs for why that is sound here.

impl<T: Send + 'static> Lock<T> for std::sync::Mutex<T> {
    fn new(value: T) -> Self {
        std::sync::Mutex::new(value)
    }
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.lock().unwrap_or_else(PoisonError::into_inner))
    }
    fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<T: Send + Sync + 'static> Lock<T> for std::sync::RwLock<T> {
    fn new(value: T) -> Self {
        std::sync::RwLock::new(value)
    }
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.read().unwrap_or_else(PoisonError::into_inner))
    }
    fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.write().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<T: Send + 'static> Lock<T> for parking_lot::Mutex<T> {
    fn new(value: T) -> Self {
        parking_lot::Mutex::new(value)
    }
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.lock())
    }
    fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.lock())
    }
}

impl<T: Send + Sync + 'static> Lock<T> for parking_lot::RwLock<T> {
    fn new(value: T) -> Self {
        parking_lot::RwLock::new(value)
    }
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.read())
    }
    fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.write())
    }
}

// loom's locks, so `tests/loom.rs` can model the lock stores.

#[cfg(loom)]
impl<T: Send + 'static> Lock<T> for loom::sync::Mutex<T> {
    fn new(value: T) -> Self {
        loom::sync::Mutex::new(value)
    }
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.lock().unwrap_or_else(PoisonError::into_inner))
    }
    fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(loom)]
impl<T: Send + Sync + 'static> Lock<T> for loom::sync::RwLock<T> {
    fn new(value: T) -> Self {
        loom::sync::RwLock::new(value)
    }
    fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.read().unwrap_or_else(PoisonError::into_inner))
    }
    fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.write().unwrap_or_else(PoisonError::into_inner))
    }
}
