"""Finding the interpreter: arguments, environment, SSM (moto), outputs file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from agentcore_fake import (
    BUCKET,
    INTERPRETER_ARN,
    INTERPRETER_ID,
    REGION,
    SSM_PREFIX,
    publish_stack_parameters,
)
from botocore.stub import Stubber

from agent import ResolutionError, resolve

OTHER_ID = "codeinterpreter_prod_ff00ee11-ZyXwVuTs98"
OTHER_ARN = f"arn:aws:bedrock-agentcore:us-east-1:123456789012:code-interpreter-custom/{OTHER_ID}"


def write_outputs(path: Path, env: str = "dev", **overrides: Any) -> Path:
    outputs = {
        "CodeInterpreterId": INTERPRETER_ID,
        "CodeInterpreterArn": INTERPRETER_ARN,
        "ArtifactBucketName": BUCKET,
        "ArtifactPrefix": "output_artifacts/",
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/CodeInterpreter-dev-ExecutionRole",
        **overrides,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({f"CodeInterpreter-{env}": outputs}), encoding="utf-8")
    return path


@pytest.fixture
def ssm(moto_aws: None, boto_session: boto3.Session) -> Any:
    return boto_session.client("ssm", region_name=REGION)


class TestSsm:
    def test_reads_the_stack_parameters(self, ssm: Any) -> None:
        publish_stack_parameters(ssm)

        config = resolve("dev", ssm_client=ssm)

        assert config.interpreter_id == INTERPRETER_ID
        assert config.interpreter_arn == INTERPRETER_ARN
        assert config.artifact_bucket == BUCKET
        assert config.artifact_prefix == "output_artifacts/"
        assert config.region == REGION
        assert config.sources.interpreter_id == f"SSM parameter {SSM_PREFIX}/id"
        assert config.sources.artifact_bucket == f"SSM parameter {SSM_PREFIX}/artifact-bucket"
        assert config.sources.region == "environment variable AWS_DEFAULT_REGION"

    def test_prefix_is_overridable_and_normalised(self, ssm: Any) -> None:
        publish_stack_parameters(ssm, prefix="/teams/data/ci", **{"artifact-prefix": "runs"})

        config = resolve("dev", ssm_client=ssm, ssm_prefix="/teams/data/ci/")

        assert config.interpreter_id == INTERPRETER_ID
        assert config.artifact_prefix == "runs/"

    def test_creates_its_own_client_in_the_resolved_region(
        self, moto_aws: None, boto_session: boto3.Session
    ) -> None:
        eu_arn = INTERPRETER_ARN.replace("us-east-1", "eu-west-1")
        publish_stack_parameters(boto_session.client("ssm", region_name="eu-west-1"), arn=eu_arn)

        config = resolve("dev", region="eu-west-1")

        assert config.region == "eu-west-1"
        assert config.interpreter_arn == eu_arn
        assert config.sources.region == "argument"

    def test_missing_parameters_fall_through_to_the_outputs_file(
        self, ssm: Any, tmp_path: Path
    ) -> None:
        ssm.put_parameter(Name=f"{SSM_PREFIX}/id", Value=INTERPRETER_ID, Type="String")
        write_outputs(tmp_path / "outputs" / "dev.json")

        config = resolve("dev", ssm_client=ssm)

        assert config.sources.interpreter_id == f"SSM parameter {SSM_PREFIX}/id"
        assert config.sources.artifact_bucket.startswith("outputs file outputs/dev.json")
        assert config.artifact_bucket == BUCKET

    def test_malformed_ssm_id_names_the_parameter(self, ssm: Any) -> None:
        publish_stack_parameters(ssm, id="not an id")

        with pytest.raises(ResolutionError) as raised:
            resolve("dev", ssm_client=ssm)

        message = str(raised.value)
        assert "Malformed code interpreter id 'not an id'" in message
        assert f"SSM parameter {SSM_PREFIX}/id" in message


class TestOutputsFile:
    def test_reads_the_cdk_outputs_file(self, ssm: Any, tmp_path: Path) -> None:
        outputs = write_outputs(tmp_path / "deploy" / "dev.json")

        config = resolve("dev", ssm_client=ssm, outputs_file=outputs)

        assert config.interpreter_id == INTERPRETER_ID
        assert config.artifact_bucket == BUCKET
        assert config.sources.interpreter_id == (
            f"outputs file {outputs} (CodeInterpreter-dev.CodeInterpreterId)"
        )

    def test_default_path_is_outputs_env_json(self, tmp_path: Path) -> None:
        write_outputs(tmp_path / "outputs" / "staging.json", env="staging")

        config = resolve("staging", use_ssm=False)

        assert config.env == "staging"
        assert config.interpreter_id == INTERPRETER_ID

    def test_region_comes_from_the_arn_when_nothing_else_names_one(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.delenv("AWS_DEFAULT_REGION")
        arn = INTERPRETER_ARN.replace("us-east-1", "ap-northeast-2")
        write_outputs(tmp_path / "outputs" / "dev.json", CodeInterpreterArn=arn)

        config = resolve("dev")

        assert config.region == "ap-northeast-2"
        assert config.sources.region.startswith("region of ARN")
        assert (
            "SSM parameters under /agentcore/dev/code-interpreter "
            "(skipped: no region: pass --region or set AWS_REGION)"
        ) in config.searched

    def test_file_for_another_stack_says_which_stacks_it_has(self, tmp_path: Path) -> None:
        write_outputs(tmp_path / "outputs" / "dev.json", env="prod")

        with pytest.raises(ResolutionError) as raised:
            resolve("dev", use_ssm=False)

        assert "no CodeInterpreter-dev stack; stacks in file: CodeInterpreter-prod" in str(
            raised.value
        )

    def test_invalid_json_is_a_clear_error(self, tmp_path: Path) -> None:
        path = tmp_path / "outputs" / "dev.json"
        path.parent.mkdir()
        path.write_text("{not json", encoding="utf-8")

        with pytest.raises(ResolutionError, match=r"Malformed outputs file outputs/dev\.json"):
            resolve("dev", use_ssm=False)

    def test_non_string_output_is_malformed(self, tmp_path: Path) -> None:
        write_outputs(tmp_path / "outputs" / "dev.json", ArtifactBucketName=42)

        with pytest.raises(ResolutionError, match="ArtifactBucketName is not a string"):
            resolve("dev", use_ssm=False)


class TestPrecedence:
    def test_environment_beats_ssm_and_arguments_beat_environment(
        self, ssm: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        publish_stack_parameters(ssm)
        monkeypatch.setenv("CODE_INTERPRETER_ID", OTHER_ID)
        monkeypatch.setenv("CODE_INTERPRETER_ARN", OTHER_ARN)
        monkeypatch.setenv("CODE_INTERPRETER_ARTIFACT_BUCKET", "env-bucket")

        from_env = resolve("dev", ssm_client=ssm)
        from_args = resolve("dev", ssm_client=ssm, artifact_bucket="arg-bucket")

        assert from_env.interpreter_id == OTHER_ID
        assert from_env.sources.interpreter_id == "environment variable CODE_INTERPRETER_ID"
        assert from_env.artifact_bucket == "env-bucket"
        # Not set in the environment, so it still comes from SSM.
        assert from_env.sources.artifact_prefix == f"SSM parameter {SSM_PREFIX}/artifact-prefix"
        assert from_args.artifact_bucket == "arg-bucket"
        assert from_args.sources.artifact_bucket == "argument"

    def test_aws_region_beats_aws_default_region(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AWS_REGION", "eu-central-1")

        config = resolve("dev", interpreter_id=INTERPRETER_ID, use_ssm=False)

        assert config.region == "eu-central-1"
        assert config.sources.region == "environment variable AWS_REGION"

    def test_nothing_is_fetched_when_arguments_cover_every_field(self) -> None:
        # No moto here: any SSM call would hit the network guard and fail the test.
        config = resolve(
            "dev",
            interpreter_id=INTERPRETER_ID,
            interpreter_arn=INTERPRETER_ARN,
            artifact_bucket=BUCKET,
            artifact_prefix="",
        )
        assert config.artifact_prefix == ""
        assert config.searched[-2:] == (
            "SSM parameters under /agentcore/dev/code-interpreter "
            "(skipped: every value was already found)",
            "outputs file outputs/dev.json (skipped: every value was already found)",
        )


class TestErrors:
    def test_missing_id_lists_every_place_searched(self, ssm: Any) -> None:
        with pytest.raises(ResolutionError) as raised:
            resolve("dev", ssm_client=ssm)

        message = str(raised.value)
        assert "No code interpreter id found for environment 'dev'" in message
        assert "arguments (none given)" in message
        assert "CODE_INTERPRETER_ID" in message
        assert f"SSM parameters under {SSM_PREFIX} in us-east-1 (not found: id" in message
        assert "outputs file outputs/dev.json (no such file)" in message
        assert "make deploy ENV=dev" in message

    def test_ssm_access_denied_is_reported_not_raised(self, boto_session: boto3.Session) -> None:
        client = boto_session.client("ssm", region_name=REGION)
        with Stubber(client) as stubber:
            stubber.add_client_error(
                "get_parameters", service_error_code="AccessDeniedException", service_message="nope"
            )
            with pytest.raises(ResolutionError, match="failed: AccessDeniedException: nope"):
                resolve("dev", ssm_client=client)

    @pytest.mark.parametrize(
        ("field", "value", "fragment"),
        [
            ("interpreter_id", "codeinterpreter-dev", "Malformed code interpreter id"),
            ("interpreter_id", "1abc-AbCdEfGh12", "Malformed code interpreter id"),
            ("interpreter_arn", "arn:aws:s3:::bucket", "Malformed code interpreter ARN"),
            ("artifact_bucket", "My_Bucket", "Malformed artifact bucket name"),
            ("artifact_bucket", "192.168.1.1", "not an IP address"),
            ("artifact_bucket", "ab", "3 to 63 characters"),
            ("artifact_bucket", "bucket..name", "adjacent periods"),
            ("artifact_prefix", "../escape/", "no '.' or '..' segments"),
            ("region", "useast1", "Malformed region"),
        ],
    )
    def test_malformed_arguments_say_what_is_wrong_and_where_from(
        self, field: str, value: str, fragment: str
    ) -> None:
        arguments: dict[str, Any] = {
            "interpreter_id": INTERPRETER_ID,
            "use_ssm": False,
            field: value,
        }

        with pytest.raises(ResolutionError) as raised:
            resolve("dev", **arguments)

        assert fragment in str(raised.value)
        assert "from argument" in str(raised.value)

    def test_malformed_environment_variable_names_the_variable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CODE_INTERPRETER_ID", "bad id!")

        with pytest.raises(ResolutionError, match="from environment variable CODE_INTERPRETER_ID"):
            resolve("dev", use_ssm=False)

    def test_arn_of_another_interpreter_is_rejected(self) -> None:
        with pytest.raises(ResolutionError, match=f"names interpreter {OTHER_ID}"):
            resolve("dev", interpreter_id=INTERPRETER_ID, interpreter_arn=OTHER_ARN, use_ssm=False)

    def test_arn_in_another_region_is_rejected(self) -> None:
        with pytest.raises(ResolutionError, match="Pass --region us-east-1"):
            resolve(
                "dev",
                interpreter_id=INTERPRETER_ID,
                interpreter_arn=INTERPRETER_ARN,
                region="us-west-2",
                use_ssm=False,
            )

    def test_builtin_interpreter_needs_no_bucket_until_an_artifact_is_saved(self) -> None:
        config = resolve("dev", interpreter_id="aws.codeinterpreter.v1", use_ssm=False)

        assert config.artifact_bucket is None
        assert config.sources.artifact_bucket == "not found"
        with pytest.raises(ResolutionError, match="CODE_INTERPRETER_ARTIFACT_BUCKET"):
            config.require_artifact_bucket()

    @pytest.mark.parametrize("env", ["", "dev/prod", "-x"])
    def test_rejects_unusable_environment_names(self, env: str) -> None:
        with pytest.raises(ResolutionError, match="Invalid environment name"):
            resolve(env, interpreter_id=INTERPRETER_ID, use_ssm=False)


def test_describe_shows_each_value_with_its_origin(ssm: Any) -> None:
    publish_stack_parameters(ssm)

    text = resolve("dev", ssm_client=ssm, interpreter_id=INTERPRETER_ID).describe()

    assert f"interpreter id   {INTERPRETER_ID}  [argument]" in text
    assert f"artifact bucket  {BUCKET}  [SSM parameter {SSM_PREFIX}/artifact-bucket]" in text


def test_mounts_come_with_the_stacks_parameters_and_are_described(ssm: Any) -> None:
    mounts = (
        '[{"path":"/mnt/datasets","type":"s3files","read_only":true},'
        '{"path":"/mnt/shared","type":"efs","read_only":false}]'
    )
    publish_stack_parameters(ssm, mounts=mounts)

    config = resolve("dev", ssm_client=ssm)

    assert [(m.path, m.kind, m.read_only) for m in config.mounts] == [
        ("/mnt/datasets", "s3files", True),
        ("/mnt/shared", "efs", False),
    ]
    assert (
        "mounts           /mnt/datasets (S3 Files, read-only); /mnt/shared (Amazon EFS,"
        f" read-write)  [SSM parameter {SSM_PREFIX}/mounts]" in config.describe()
    )


def test_no_mounts_is_no_error_and_says_none(ssm: Any) -> None:
    publish_stack_parameters(ssm)

    config = resolve("dev", ssm_client=ssm)

    assert config.mounts == ()
    assert "mounts           none  [SSM parameter" in config.describe()


def test_malformed_mounts_name_the_parameter(ssm: Any) -> None:
    publish_stack_parameters(ssm, mounts='[{"path": "/data"}]')

    with pytest.raises(ResolutionError, match=f"from SSM parameter {SSM_PREFIX}/mounts"):
        resolve("dev", ssm_client=ssm)
