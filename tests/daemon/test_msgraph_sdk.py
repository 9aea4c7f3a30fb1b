"""Microsoft's msgraph-sdk, unchanged, against a running ``idsync serve`` over real HTTP.

Every synchronization call the SDK offers for jobs, schema, templates and secrets, plus provisionOnDemand,
restart and ``auditLogs/provisioning``, under a base URL ending in ``/v1.0`` (and ``/beta`` for the reads).
Each typed model is compared with the JSON the daemon sent (``dropped``): nothing the daemon says may be lost
by the client, which is what happens to an enum value outside Graph's.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.synchronization_job import SynchronizationJob
from msgraph.generated.models.synchronization_job_application_parameters import (
    SynchronizationJobApplicationParameters,
)
from msgraph.generated.models.synchronization_job_restart_criteria import (
    SynchronizationJobRestartCriteria,
)
from msgraph.generated.models.synchronization_job_restart_scope import SynchronizationJobRestartScope
from msgraph.generated.models.synchronization_job_subject import SynchronizationJobSubject
from msgraph.generated.models.synchronization_schedule_state import SynchronizationScheduleState
from msgraph.generated.models.synchronization_secret import SynchronizationSecret
from msgraph.generated.models.synchronization_secret_key_string_value_pair import (
    SynchronizationSecretKeyStringValuePair,
)
from msgraph.generated.models.synchronization_status_code import SynchronizationStatusCode
from msgraph.generated.service_principals.item.synchronization.jobs.item.provision_on_demand.provision_on_demand_post_request_body import (  # noqa: E501
    ProvisionOnDemandPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.jobs.item.restart.restart_post_request_body import (  # noqa: E501
    RestartPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.jobs.item.schema.parse_expression.parse_expression_post_request_body import (  # noqa: E501
    ParseExpressionPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.jobs.validate_credentials.validate_credentials_post_request_body import (  # noqa: E501
    ValidateCredentialsPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.secrets.secrets_put_request_body import (
    SecretsPutRequestBody,
)

from .graph_client import dropped, graph_client
from .serve_helpers import TOKEN, Served, serve_env, write_job

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

JOB = "sdk-demo"
SYNC = "/servicePrincipals/local/synchronization"
T = TypeVar("T")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("sdk")
    write_job(folder, JOB, interval="PT40M")
    (folder / "entra.yaml").write_text(f"connector: json\npath: {JOB}-source.json\n")
    env = serve_env()
    env["IDSYNC_SECRET_KEY"] = "bm90LWEtcmVhbC1rZXktYnV0LTMyLWJ5dGVzLWxvbmc="  # a valid Fernet key
    args = [str(folder / f"{JOB}.yaml"), "--state-dir", str(folder / "state")]
    args += ["--directory", f"Azure Active Directory={folder / 'entra.yaml'}"]
    server = Served(args, env, folder)
    try:
        server.wait_ready()
        server.wait_for(
            lambda: server.client.get(f"{SYNC}/jobs/{JOB}").json()["status"].get("lastSuccessfulExecution"),
            what="the first cycle",
        )
        yield server
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.output()


def run(served: Served, call: Callable[[Any], Awaitable[T]], version: str = "v1.0") -> T:
    """One SDK call on a client of its own (each asyncio.run has its own loop and connections)."""

    async def main() -> T:
        client = graph_client(f"{served.base}/{version}", TOKEN)
        return await call(client.service_principals.by_service_principal_id("local").synchronization)

    return asyncio.run(main())


def raw(served: Served, path: str) -> Any:
    response = served.client.get(f"{SYNC}{path}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_jobs_read_complete_under_both_versions(served: Served, version: str) -> None:
    jobs = run(served, lambda s: s.jobs.get(), version)
    assert jobs is not None and jobs.value is not None
    job = next(j for j in jobs.value if j.id == JOB)
    assert job.status is not None and job.status.code == SynchronizationStatusCode.Active
    assert job.schedule is not None and job.schedule.state == SynchronizationScheduleState.Active
    assert job.status.last_successful_execution is not None
    assert job.status.last_successful_execution.time_ended is not None
    assert dropped(jobs, raw(served, "/jobs")) == []
    one = run(served, lambda s: s.jobs.by_synchronization_job_id(JOB).get(), version)
    assert one is not None and one.template_id == "scim"
    assert dropped(one, raw(served, f"/jobs/{JOB}")) == []
    count = run(served, lambda s: s.jobs.count.get(), version)
    assert count == len(jobs.value)
    sync = run(served, lambda s: s.get(), version)
    assert sync is not None and sync.id == "local" and sync.secrets is not None
    assert job.additional_data.get("nextCycleDateTime") is not None  # idsync's own, kept as extra data


def test_schema_functions_filter_operators_and_directories(served: Served) -> None:
    def job(s: Any) -> Any:
        return s.jobs.by_synchronization_job_id(JOB).schema

    schema = run(served, lambda s: job(s).get())
    assert schema is not None and schema.synchronization_rules and schema.directories
    assert dropped(schema, raw(served, f"/jobs/{JOB}/schema")) == []
    functions = run(served, lambda s: job(s).functions.get())
    assert functions is not None and functions.value
    assert {"Append", "Join", "Switch"} <= {f.id for f in functions.value}
    assert dropped(functions, raw(served, f"/jobs/{JOB}/schema/functions()")) == []
    operators = run(served, lambda s: job(s).filter_operators.get())
    assert operators is not None and operators.value
    assert dropped(operators, raw(served, f"/jobs/{JOB}/schema/filterOperators()")) == []
    directories = run(served, lambda s: job(s).directories.get())
    assert directories is not None and [d.name for d in directories.value or []] == [
        d.name for d in schema.directories
    ]
    assert run(served, lambda s: job(s).directories.count.get()) == len(schema.directories)
    first = schema.directories[0]
    one = run(served, lambda s: job(s).directories.by_directory_definition_id(first.id).get())
    assert one is not None and one.name == first.name and one.objects
    discovered = run(
        served, lambda s: job(s).directories.by_directory_definition_id(first.id).discover.post()
    )
    assert discovered is not None and discovered.name == first.name and discovered.discovery_date_time
    # PATCH (the SDK has no PUT) replaces the schema: send it back with one mapping changed
    rule = schema.synchronization_rules[0]
    mapping = rule.object_mappings[0]
    before = len(mapping.attribute_mappings)
    mapping.attribute_mappings = mapping.attribute_mappings[:-1]
    run(served, lambda s: job(s).patch(schema))
    after = run(served, lambda s: job(s).get())
    assert len(after.synchronization_rules[0].object_mappings[0].attribute_mappings) == before - 1
    run(served, lambda s: job(s).delete())  # back to the template's
    reset = run(served, lambda s: job(s).get())
    assert len(reset.synchronization_rules[0].object_mappings[0].attribute_mappings) == before


def test_parse_expression(served: Served) -> None:
    from msgraph.generated.models.expression_input_object import ExpressionInputObject
    from msgraph.generated.models.string_key_object_value_pair import StringKeyObjectValuePair

    pair = StringKeyObjectValuePair()
    pair.additional_data = {"key": "preferredLanguage", "value": "EN-US"}
    body = ParseExpressionPostRequestBody(
        expression='Replace([preferredLanguage], "-", , , "_", ,  )',
        test_input_object=ExpressionInputObject(properties=[pair]),
    )
    result = run(served, lambda s: s.jobs.by_synchronization_job_id(JOB).schema.parse_expression.post(body))
    assert result is not None and result.parsing_succeeded and result.evaluation_succeeded
    assert result.evaluation_result == ["EN_US"]
    assert result.parsed_expression is not None


def test_templates_keep_idsyncs_metadata_as_extra_properties(served: Served) -> None:
    templates = run(served, lambda s: s.templates.get())
    assert templates is not None and {t.id for t in templates.value or []} >= {"scim", "ldap-to-scim"}
    assert dropped(templates, raw(served, "/templates")) == []
    scim = next(t for t in templates.value if t.id == "scim")
    assert all(m.key is not None for m in scim.metadata or [])
    assert scim.additional_data.get("idsyncBuiltIn") is True
    assert run(served, lambda s: s.templates.count.get()) == len(templates.value)
    one = run(served, lambda s: s.templates.by_synchronization_template_id("scim").get())
    assert one is not None and one.factory_tag == "CustomSCIM"
    schema = run(served, lambda s: s.templates.by_synchronization_template_id("scim").schema.get())
    assert schema is not None and schema.synchronization_rules
    functions = run(
        served, lambda s: s.templates.by_synchronization_template_id("scim").schema.functions.get()
    )
    assert functions is not None and functions.value


def test_actions_and_provisioning_logs(served: Served) -> None:
    def job(s: Any) -> Any:
        return s.jobs.by_synchronization_job_id(JOB)

    subject = SynchronizationJobSubject(object_id="u2", object_type_name="User")
    body = ProvisionOnDemandPostRequestBody(
        parameters=[SynchronizationJobApplicationParameters(subjects=[subject])]
    )
    answer = run(served, lambda s: job(s).provision_on_demand.post(body))
    assert answer is not None and json.loads(answer.key)["result"] in ("Success", "Skipped")
    assert json.loads(answer.value)["sourceIdentity"]["id"] == "u2"

    run(served, lambda s: job(s).pause.post())
    paused = run(served, lambda s: job(s).get())
    assert paused.status.code == SynchronizationStatusCode.Paused
    run(served, lambda s: job(s).start.post())
    criteria = SynchronizationJobRestartCriteria(reset_scope=SynchronizationJobRestartScope.Watermark)
    run(served, lambda s: job(s).restart.post(RestartPostRequestBody(criteria=criteria)))
    run(served, lambda s: job(s).validate_credentials.post(ValidateCredentialsPostRequestBody()))
    # two reset scopes: the SDK's enum writes one value, so the flags go through additional_data
    both = SynchronizationJobRestartCriteria()
    both.additional_data = {"resetScope": "Watermark, Escrows"}
    run(served, lambda s: job(s).restart.post(RestartPostRequestBody(criteria=both)))
    wrong = SynchronizationJobRestartCriteria()
    wrong.additional_data = {"resetScope": "Watermark, Nonsense"}  # proves the daemon reads that field
    with pytest.raises(ODataError) as refused:
        run(served, lambda s: job(s).restart.post(RestartPostRequestBody(criteria=wrong)))
    assert refused.value.response_status_code == 400

    async def logs(client: Any) -> Any:
        return await client.audit_logs.provisioning.get()

    async def main() -> Any:
        return await logs(graph_client(f"{served.base}/v1.0", TOKEN))

    records = asyncio.run(main())
    assert records is not None and records.value
    first = records.value[0]
    assert first.provisioning_action is not None and first.provisioning_status_info.status is not None
    assert first.source_identity.id and first.activity_date_time is not None
    body_raw = served.client.get("/auditLogs/provisioning").json()

    async def count() -> Any:
        return await graph_client(f"{served.base}/v1.0", TOKEN).audit_logs.provisioning.count.get()

    assert asyncio.run(count()) == len(body_raw["value"])  # fewer than one page here
    # msgraph-sdk (Python) cannot read Graph's own step type "import": its enum member is ``Import_`` and
    # kiota looks members up by name. Every other value must come through.
    for record, record_raw in zip(records.value, body_raw["value"], strict=True):
        for typed, step in zip(record.provisioning_steps or [], record_raw["provisioningSteps"], strict=True):
            assert typed.provisioning_step_type is not None or step["provisioningStepType"] == "import"
    lost = [p for p in dropped(records, body_raw) if not p.endswith("].provisioningStepType")]
    assert lost == []


def test_secrets_and_an_api_job(served: Served, tmp_path: Path) -> None:
    pairs = [
        SynchronizationSecretKeyStringValuePair(
            key=SynchronizationSecret.BaseAddress, value="http://127.0.0.1:9/v2"
        ),
        SynchronizationSecretKeyStringValuePair(
            key=SynchronizationSecret.SecretToken, value="sdk-token-value"
        ),
    ]
    run(served, lambda s: s.secrets.put(SecretsPutRequestBody(value=pairs)))
    assert run(served, lambda s: s.secrets.count.get()) == 2
    assert "sdk-token-value" not in served.client.get(f"{SYNC}/secrets").text

    created = run(served, lambda s: s.jobs.post(SynchronizationJob(template_id="scim")))
    assert created is not None and created.id and created.id.startswith("scim.")
    assert created.schedule.state == SynchronizationScheduleState.Disabled
    assert created.status.code == SynchronizationStatusCode.NotRun  # bound, waiting for start
    assert dropped(created, raw(served, f"/jobs/{created.id}")) == []
    # collection-level validateCredentials: nothing listens on port 9, so the SCIM app is not reachable
    check = ValidateCredentialsPostRequestBody(template_id="scim", use_saved_credentials=True)
    with pytest.raises(ODataError) as refused:
        run(served, lambda s: s.jobs.validate_credentials.post(check))
    assert refused.value.response_status_code == 400
    assert refused.value.error is not None and refused.value.error.code == "CredentialsInvalid"
    run(served, lambda s: s.jobs.by_synchronization_job_id(created.id).delete())
    with pytest.raises(ODataError) as gone:
        run(served, lambda s: s.jobs.by_synchronization_job_id(created.id).get())
    assert gone.value.response_status_code == 404
    assert "sdk-token-value" not in served.output()
