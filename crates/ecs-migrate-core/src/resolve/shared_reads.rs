//! [`SharedReads`]: what the resolutions of many requests at once (a rollout's validation) read
//! only once per cluster — the cluster itself (DescribeClusters) and its tags (the tag lock's
//! limits) — so that checking 200 targets in one cluster costs 2 cluster reads, not 400.
//! Nothing is written while they run, so what the first one read holds for all.

use crate::aws::call;
use crate::resolve::services::describe_cluster;
use crate::Error;
use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

#[derive(Debug, Default)]
pub struct SharedReads {
    /// By the cluster as the request names it: its ARN.
    clusters: Mutex<HashMap<String, Arc<OnceCell<String>>>>,
    /// By cluster ARN: its tags.
    tags: Mutex<HashMap<String, Arc<OnceCell<Vec<Tag>>>>>,
}

impl SharedReads {
    /// The ARN of the active cluster `cluster` (a name or an ARN).
    pub(crate) async fn cluster(&self, ecs: &Client, cluster: &str) -> Result<String, Error> {
        let cell = cell(&self.clusters, cluster);
        cell.get_or_try_init(|| describe_cluster(ecs, cluster))
            .await
            .cloned()
    }

    /// The tags on the cluster `arn`.
    pub(crate) async fn cluster_tags(&self, ecs: &Client, arn: &str) -> Result<Vec<Tag>, Error> {
        let cell = cell(&self.tags, arn);
        cell.get_or_try_init(|| call::list_tags(ecs, arn, || format!("cluster `{arn}`"), &()))
            .await
            .cloned()
    }
}

fn cell<T>(map: &Mutex<HashMap<String, Arc<OnceCell<T>>>>, key: &str) -> Arc<OnceCell<T>> {
    let mut map = map.lock().expect("shared reads");
    Arc::clone(map.entry(key.to_owned()).or_default())
}
