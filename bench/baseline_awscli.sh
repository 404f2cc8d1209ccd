#!/usr/bin/env bash
# Baseline (a): what users do today with the AWS CLI to run a migration task and get its verdict.
#
#   aws ecs run-task  ->  aws ecs wait tasks-stopped (polls every 6 s)  ->  aws ecs describe-tasks
#
# Exits 0 only when the migration container exited 0 (a container without an exit code, e.g. a
# task that never started, is a failure), else with the container's exit code (1 if it has none).
#
# Usage: bench/baseline_awscli.sh CLUSTER TASK_DEFINITION SUBNETS SECURITY_GROUPS CONTAINER COMMAND_JSON
#   SUBNETS and SECURITY_GROUPS are comma lists; COMMAND_JSON is the command override as a JSON
#   array, e.g. '["sh","-c","bin/rails db:migrate"]'.
# AWS settings come from the environment (AWS_ENDPOINT_URL, AWS_REGION, credentials).
set -euo pipefail
[ $# -eq 6 ] || { echo 'Usage: bench/baseline_awscli.sh CLUSTER TASK_DEFINITION SUBNETS SECURITY_GROUPS CONTAINER COMMAND_JSON' >&2; exit 2; }
cluster=$1 task_definition=$2 subnets=$3 security_groups=$4 container=$5 command_json=$6

task_arn=$(aws ecs run-task \
  --cluster "$cluster" \
  --task-definition "$task_definition" \
  --launch-type FARGATE \
  --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$security_groups],assignPublicIp=DISABLED}" \
  --overrides "{\"containerOverrides\":[{\"name\":\"$container\",\"command\":$command_json}]}" \
  --query 'tasks[0].taskArn' --output text)
if [ -z "$task_arn" ] || [ "$task_arn" = None ]; then
  echo "run-task started no task" >&2
  exit 1
fi
echo "started $task_arn" >&2

# Gives up after 100 attempts (10 minutes): exits 255 then, like any other waiter failure.
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task_arn"

exit_code=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task_arn" \
  --query "tasks[0].containers[?name=='$container'] | [0].exitCode" --output text)
echo "container $container exit code: $exit_code" >&2
case $exit_code in
  0) exit 0 ;;
  '' | None | *[!0-9]*) exit 1 ;;
  *) exit "$exit_code" ;;
esac
