//! What the tests set up in the emulator: a cluster, default-VPC subnets, task definitions with
//! real commands (they run as local processes), services.

use crate::emulator::Emulator;
use ecs_migrate_core::ecs::config::{BehaviorVersion, Credentials, Region};
use ecs_migrate_core::ecs::types::{
    AwsVpcConfiguration, Compatibility, ContainerDefinition, DesiredStatus, LaunchType,
    LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode,
};
use ecs_migrate_core::ecs::Client;

pub const REGION: &str = "us-east-1";

impl Emulator {
    pub fn ecs(&self) -> Client {
        let config = ecs_migrate_core::ecs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .build();
        Client::from_conf(config)
    }

    /// An EC2 Query API call (the tests need two; the EC2 SDK crate is too big to build for them).
    fn ec2(&self, params: &[(&str, &str)], id_tag: &str) -> Vec<String> {
        let body = ureq::post(&self.url)
            .set(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0",
            )
            .send_form(params)
            .expect("EC2 query")
            .into_string()
            .unwrap();
        let open = format!("<{id_tag}>");
        let close = format!("</{id_tag}>");
        let ids: Vec<String> = body
            .split(open.as_str())
            .skip(1)
            .filter_map(|rest| rest.split(close.as_str()).next())
            .map(str::to_owned)
            .collect();
        assert!(!ids.is_empty(), "no {id_tag} in:\n{body}");
        ids
    }

    /// The default VPC's subnets (moto creates them; its default VPC has DNS hostnames on).
    pub fn default_subnets(&self) -> Vec<String> {
        self.ec2(
            &[
                ("Action", "DescribeSubnets"),
                ("Version", "2016-11-15"),
                ("Filter.1.Name", "default-for-az"),
                ("Filter.1.Value.1", "true"),
            ],
            "subnetId",
        )
    }

    /// The default VPC's default security group.
    pub fn default_security_group(&self) -> String {
        self.ec2(
            &[
                ("Action", "DescribeSecurityGroups"),
                ("Version", "2016-11-15"),
                ("Filter.1.Name", "group-name"),
                ("Filter.1.Value.1", "default"),
            ],
            "groupId",
        )
        .remove(0)
    }

    /// Every task ARN in the cluster, running or stopped.
    pub async fn all_tasks(&self, cluster: &str) -> Vec<String> {
        let ecs = self.ecs();
        let mut arns = Vec::new();
        for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
            let out = ecs
                .list_tasks()
                .cluster(cluster)
                .desired_status(status)
                .send()
                .await
                .expect("ListTasks");
            arns.extend(out.task_arns().iter().cloned());
        }
        arns.sort();
        arns.dedup();
        arns
    }
}

/// A container for a test task definition.
pub struct Container {
    def: ecs_migrate_core::ecs::types::builders::ContainerDefinitionBuilder,
}

impl Container {
    /// A container running `sh -c script`.
    pub fn sh(name: &str, script: &str) -> Container {
        Container::new(name).command(["sh", "-c", script])
    }

    pub fn new(name: &str) -> Container {
        Container {
            def: ContainerDefinition::builder()
                .name(name)
                .image("public.ecr.aws/docker/library/alpine:3")
                .memory(128),
        }
    }

    pub fn command<const N: usize>(mut self, command: [&str; N]) -> Container {
        self.def = self
            .def
            .set_command(Some(command.iter().map(|s| s.to_string()).collect()));
        self
    }

    pub fn image(mut self, image: &str) -> Container {
        self.def = self.def.image(image);
        self
    }

    pub fn essential(mut self, essential: bool) -> Container {
        self.def = self.def.essential(essential);
        self
    }

    pub fn awslogs(mut self, group: &str, prefix: &str) -> Container {
        self.def = self.def.log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", group)
                .options("awslogs-region", REGION)
                .options("awslogs-stream-prefix", prefix)
                .build()
                .unwrap(),
        );
        self
    }
}

/// An app in the emulator: a cluster and the default VPC's subnets.
pub struct App {
    pub ecs: Client,
    pub ssm: aws_sdk_ssm::Client,
    pub cluster: String,
    pub subnets: Vec<String>,
    pub security_group: String,
}

impl App {
    pub async fn new(emulator: &Emulator) -> App {
        let ecs = emulator.ecs();
        ecs.create_cluster()
            .cluster_name("app")
            .send()
            .await
            .expect("CreateCluster");
        let ssm = aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::Config::builder()
                .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
                .region(aws_sdk_ssm::config::Region::new(REGION))
                .endpoint_url(&emulator.url)
                .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
                .build(),
        );
        App {
            ecs,
            ssm,
            cluster: "app".into(),
            subnets: emulator.default_subnets(),
            security_group: emulator.default_security_group(),
        }
    }

    /// Registers a Fargate (awsvpc) task definition; returns its full ARN.
    pub async fn task_definition(&self, family: &str, containers: Vec<Container>) -> String {
        let out = self
            .ecs
            .register_task_definition()
            .family(family)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .set_container_definitions(Some(
                containers.into_iter().map(|c| c.def.build()).collect(),
            ))
            .send()
            .await
            .expect("RegisterTaskDefinition");
        out.task_definition()
            .unwrap()
            .task_definition_arn()
            .unwrap()
            .to_owned()
    }

    /// Creates a Fargate service running `task_definition` in the default subnets.
    pub async fn service(&self, name: &str, task_definition: &str, desired_count: i32) {
        self.ecs
            .create_service()
            .cluster(&self.cluster)
            .service_name(name)
            .task_definition(task_definition)
            .desired_count(desired_count)
            .launch_type(LaunchType::Fargate)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        AwsVpcConfiguration::builder()
                            .set_subnets(Some(vec![self.subnets[0].clone()]))
                            .security_groups(&self.security_group)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("CreateService");
    }

    /// `--cluster app --subnets <default subnet>`: the arguments every run needs.
    pub fn base_args(&self) -> Vec<String> {
        vec![
            "run".into(),
            "--cluster".into(),
            self.cluster.clone(),
            "--subnets".into(),
            self.subnets[0].clone(),
        ]
    }
}

impl App {
    /// A service's desired count and running count now.
    pub async fn counts(&self, service: &str) -> (i32, i32) {
        let out = self
            .ecs
            .describe_services()
            .cluster(&self.cluster)
            .services(service)
            .send()
            .await
            .expect("DescribeServices");
        let s = &out.services()[0];
        (s.desired_count(), s.running_count())
    }

    /// The `ecs-migrate:*` tags on a service (its pause record, if any).
    pub async fn cluster_arn(&self) -> String {
        let out = self
            .ecs
            .describe_clusters()
            .clusters(&self.cluster)
            .send()
            .await
            .expect("DescribeClusters");
        out.clusters()[0].cluster_arn().unwrap().to_owned()
    }

    pub async fn service_arn(&self, service: &str) -> String {
        let out = self
            .ecs
            .describe_services()
            .cluster(&self.cluster)
            .services(service)
            .send()
            .await
            .expect("DescribeServices");
        out.services()[0].service_arn().unwrap().to_owned()
    }

    pub async fn pause_tags(&self, service: &str) -> Vec<(String, String)> {
        let arn = self.service_arn(service).await;
        self.ecs_migrate_tags(&arn).await
    }

    /// The `ecs-migrate:` tags on a resource (what a Terraform plan would see).
    pub async fn ecs_migrate_tags(&self, arn: &str) -> Vec<(String, String)> {
        let tags = self
            .ecs
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .expect("ListTagsForResource");
        tags.tags()
            .iter()
            .filter(|t| t.key().unwrap_or_default().starts_with("ecs-migrate:"))
            .map(|t| {
                (
                    t.key().unwrap().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The outcome records of a task definition revision (SSM parameters
    /// `/ecs-migrate/<family>/<revision>/<migration id>`): migration id → the JSON record.
    pub async fn outcome_records(
        &self,
        task_definition_arn: &str,
    ) -> Vec<(String, serde_json::Value)> {
        let (family, revision) = task_definition_arn
            .rsplit('/')
            .next()
            .and_then(|s| s.split_once(':'))
            .expect("a task definition ARN with a revision");
        let out = self
            .ssm
            .get_parameters_by_path()
            .path(format!("/ecs-migrate/{family}/{revision}"))
            .recursive(true)
            .send()
            .await
            .expect("GetParametersByPath");
        out.parameters()
            .iter()
            .map(|p| {
                let name = p.name().unwrap();
                (
                    name.rsplit('/').next().unwrap().to_owned(),
                    serde_json::from_str(p.value().unwrap()).expect("a JSON record"),
                )
            })
            .collect()
    }

    /// Every task ecs-migrate started in the cluster (its `startedBy`), running or stopped.
    pub async fn migration_tasks(&self) -> Vec<String> {
        let mut arns = Vec::new();
        for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
            let out = self
                .ecs
                .list_tasks()
                .cluster(&self.cluster)
                .desired_status(status)
                .send()
                .await
                .expect("ListTasks");
            arns.extend(out.task_arns().iter().cloned());
        }
        if arns.is_empty() {
            return arns;
        }
        let out = self
            .ecs
            .describe_tasks()
            .cluster(&self.cluster)
            .set_tasks(Some(arns))
            .send()
            .await
            .expect("DescribeTasks");
        let mut migrations: Vec<String> = out
            .tasks()
            .iter()
            .filter(|t| {
                t.started_by()
                    .unwrap_or_default()
                    .starts_with("ecs-migrate/")
            })
            .map(|t| t.task_arn().unwrap().to_owned())
            .collect();
        migrations.sort();
        migrations.dedup();
        migrations
    }

    /// Waits (up to 10 s) until `service` runs `count` tasks and ListTasks lists them (it shows a
    /// new task a moment after it exists).
    pub async fn wait_until_running(&self, service: &str, count: usize) {
        for _ in 0..100 {
            if self.counts(service).await.1 as usize == count
                && self.service_task_times(service).await.len() == count
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("service {service} never ran its {count} task(s)");
    }

    /// Every task a service has had, with its timestamps: (arn, createdAt, when its containers
    /// stopped: `executionStoppedAt`, else `stoppedAt`).
    pub async fn service_task_times(&self, service: &str) -> Vec<(String, f64, Option<f64>)> {
        let mut arns = Vec::new();
        for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
            let out = self
                .ecs
                .list_tasks()
                .cluster(&self.cluster)
                .service_name(service)
                .desired_status(status)
                .send()
                .await
                .expect("ListTasks");
            arns.extend(out.task_arns().iter().cloned());
        }
        // A task that stops between the two calls is listed by both (ECS lists it under
        // STOPPED as soon as its desired status is): count it once.
        arns.sort();
        arns.dedup();
        if arns.is_empty() {
            return Vec::new();
        }
        let out = self
            .ecs
            .describe_tasks()
            .cluster(&self.cluster)
            .set_tasks(Some(arns))
            .send()
            .await
            .expect("DescribeTasks");
        out.tasks()
            .iter()
            .map(|t| {
                (
                    t.task_arn().unwrap().to_owned(),
                    t.created_at().unwrap().as_secs_f64(),
                    t.execution_stopped_at()
                        .or(t.stopped_at())
                        .map(|s| s.as_secs_f64()),
                )
            })
            .collect()
    }
}

/// An Application Auto Scaling client on the emulator.
impl Emulator {
    pub fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        let config = aws_sdk_applicationautoscaling::Config::builder()
            .behavior_version(aws_sdk_applicationautoscaling::config::BehaviorVersion::latest())
            .region(aws_sdk_applicationautoscaling::config::Region::new(REGION))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_applicationautoscaling::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .build();
        aws_sdk_applicationautoscaling::Client::from_conf(config)
    }
}
