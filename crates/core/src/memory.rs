//! The embedded registry: the connection table in memory, keyed as in DynamoDB.

use crate::{now_epoch_secs, ConnectionItem, Registry, RegistryError};
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

/// In-memory connection table with a `connection_id` index, like the DynamoDB one.
#[derive(Debug, Default)]
pub struct MemoryRegistry {
    inner: RwLock<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    /// partition -> connection id -> item.
    by_partition: HashMap<String, HashMap<String, ConnectionItem>>,
    /// connection id -> the partitions it is registered under (the GSI).
    by_connection: HashMap<String, HashSet<String>>,
}

impl MemoryRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of items stored, expired ones included.
    pub fn len(&self) -> usize {
        self.read().by_partition.values().map(HashMap::len).sum()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops items whose `ttl` has passed at `now`; returns how many.
    pub fn purge_expired(&self, now: i64) -> usize {
        let mut t = self.write();
        let expired: Vec<ConnectionItem> = t
            .by_partition
            .values()
            .flat_map(HashMap::values)
            .filter(|i| i.is_expired(now))
            .cloned()
            .collect();
        for item in &expired {
            t.remove(item);
        }
        expired.len()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tables> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Tables> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Tables {
    fn remove(&mut self, item: &ConnectionItem) {
        if let Some(part) = self.by_partition.get_mut(&item.partition) {
            part.remove(&item.connection_id);
            if part.is_empty() {
                self.by_partition.remove(&item.partition);
            }
        }
        if let Some(parts) = self.by_connection.get_mut(&item.connection_id) {
            parts.remove(&item.partition);
            if parts.is_empty() {
                self.by_connection.remove(&item.connection_id);
            }
        }
    }
}

#[async_trait]
impl Registry for MemoryRegistry {
    async fn put(&self, item: &ConnectionItem) -> Result<(), RegistryError> {
        let mut t = self.write();
        t.by_partition
            .entry(item.partition.clone())
            .or_default()
            .insert(item.connection_id.clone(), item.clone());
        t.by_connection
            .entry(item.connection_id.clone())
            .or_default()
            .insert(item.partition.clone());
        Ok(())
    }

    async fn by_connection(
        &self,
        connection_id: &str,
    ) -> Result<Vec<ConnectionItem>, RegistryError> {
        let now = now_epoch_secs();
        let t = self.read();
        let Some(parts) = t.by_connection.get(connection_id) else {
            return Ok(Vec::new());
        };
        Ok(parts
            .iter()
            .filter_map(|p| t.by_partition.get(p)?.get(connection_id))
            .filter(|i| !i.is_expired(now))
            .cloned()
            .collect())
    }

    async fn by_partition(&self, partition: &str) -> Result<Vec<ConnectionItem>, RegistryError> {
        let now = now_epoch_secs();
        let t = self.read();
        Ok(t.by_partition
            .get(partition)
            .map(|m| m.values().filter(|i| !i.is_expired(now)).cloned().collect())
            .unwrap_or_default())
    }

    async fn delete(&self, items: &[ConnectionItem]) -> Result<(), RegistryError> {
        let mut t = self.write();
        for item in items {
            t.remove(item);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConnectionType, Secret};

    fn item(p: &str, c: &str) -> ConnectionItem {
        ConnectionItem::new(p, c, ConnectionType::Chat, None, Secret::new("t"))
    }

    #[tokio::test]
    async fn indexes_by_partition_and_connection() {
        let r = MemoryRegistry::new();
        r.put(&item("b1", "c1")).await.unwrap();
        r.put(&item("b1", "c2")).await.unwrap();
        r.put(&item("user_9", "c1")).await.unwrap();
        assert_eq!(r.by_partition("b1").await.unwrap().len(), 2);
        assert_eq!(r.by_connection("c1").await.unwrap().len(), 2);
        assert_eq!(r.remove_connection("c1").await.unwrap(), 2);
        assert!(r.by_connection("c1").await.unwrap().is_empty());
        assert!(r.by_partition("user_9").await.unwrap().is_empty());
        assert_eq!(r.len(), 1);
    }

    #[tokio::test]
    async fn expired_items_are_absent_and_purged() {
        let r = MemoryRegistry::new();
        let mut old = item("b1", "c1");
        old.ttl = now_epoch_secs() - 1;
        r.put(&old).await.unwrap();
        r.put(&item("b1", "c2")).await.unwrap();
        assert_eq!(r.by_partition("b1").await.unwrap().len(), 1);
        assert!(r.by_connection("c1").await.unwrap().is_empty());
        assert_eq!(r.purge_expired(now_epoch_secs()), 1);
        assert_eq!(r.len(), 1);
    }
}
