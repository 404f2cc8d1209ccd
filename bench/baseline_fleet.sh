#!/usr/bin/env bash
# Baseline for the pause/restore flow: Fleet's sequence with the AWS CLI and its waiters.
#
#   aws ecs update-service --desired-count 0   (each service)
#   aws ecs wait services-stable               (polls every 15 s)
#   aws ecs run-task
#   aws ecs wait tasks-stopped                 (polls every 6 s)
#   aws ecs describe-tasks                     (the migration container's exit code)
#   aws ecs update-service --desired-count N   (each service, back to its count)
#   aws ecs wait services-stable
#
# The services' counts to restore are given on the command line (SERVICE=N), so the script spends
# no call on reading them. The services are restored whatever the verdict; the script exits 0 only
# when the migration container exited 0.
#
# Usage: bench/baseline_fleet.sh CLUSTER TASK_DEFINITION SUBNETS SECURITY_GROUPS CONTAINER COMMAND_JSON SERVICE=N...
# AWS settings come from the environment (AWS_ENDPOINT_URL, AWS_REGION, credentials).
set -euo pipefail
[ $# -ge 7 ] || { echo 'Usage: bench/baseline_fleet.sh CLUSTER TASK_DEFINITION SUBNETS SECURITY_GROUPS CONTAINER COMMAND_JSON SERVICE=N...' >&2; exit 2; }
cluster=$1 task_definition=$2 subnets=$3 security_groups=$4 container=$5 command_json=$6
shift 6
names=()
for pair in "$@"; do names+=("${pair%%=*}"); done

# 1. pause
for name in "${names[@]}"; do
  aws ecs update-service --cluster "$cluster" --service "$name" --desired-count 0 >/dev/null
done
aws ecs wait services-stable --cluster "$cluster" --services "${names[@]}"

# 2. migrate
status=1
task_arn=$(aws ecs run-task \
  --cluster "$cluster" \
  --task-definition "$task_definition" \
  --launch-type FARGATE \
  --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$security_groups],assignPublicIp=DISABLED}" \
  --overrides "{\"containerOverrides\":[{\"name\":\"$container\",\"command\":$command_json}]}" \
  --query 'tasks[0].taskArn' --output text) || task_arn=
if [ -n "$task_arn" ] && [ "$task_arn" != None ]; then
  echo "started $task_arn" >&2
  if aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task_arn"; then
    exit_code=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task_arn" \
      --query "tasks[0].containers[?name=='$container'] | [0].exitCode" --output text) || exit_code=
    echo "container $container exit code: $exit_code" >&2
    case $exit_code in
      0) status=0 ;;
      '' | None | *[!0-9]*) status=1 ;;
      *) status=$exit_code ;;
    esac
  fi
else
  echo "run-task started no task" >&2
fi

# 3. restore
for pair in "$@"; do
  aws ecs update-service --cluster "$cluster" --service "${pair%%=*}" --desired-count "${pair#*=}" >/dev/null
done
aws ecs wait services-stable --cluster "$cluster" --services "${names[@]}"
exit "$status"
