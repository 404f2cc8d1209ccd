//! [`Request`]: what the user asked for, already parsed into typed values by an edge (the CLI's flags
//! or the Lambda's payload), not yet checked against AWS. [`crate::resolve`] turns it into a
//! [`crate::Plan`].

use crate::{
    AssignPublicIp, CapacityProvider, EnvVar, LaunchType, Tag, TaskDefinitionRef, Timeout,
};

#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Cluster name or ARN.
    pub cluster: String,
    pub task_definition: Option<TaskDefinitionRef>,
    /// Completes a revision-less `task_definition` (or the family `from_service` runs).
    pub revision: Option<u32>,
    /// Take the task definition, network and launch settings from this service when not given.
    pub from_service: Option<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<AssignPublicIp>,
    pub launch_type: Option<LaunchType>,
    pub capacity_providers: Vec<CapacityProvider>,
    pub platform_version: Option<String>,
    /// The container whose exit code decides; default: the only essential one.
    pub container: Option<String>,
    /// Command override for that container; `None` keeps the task definition's command.
    pub command: Option<Vec<String>>,
    pub environment: Vec<EnvVar>,
    pub tags: Vec<Tag>,
    pub timeout: Timeout,
}
