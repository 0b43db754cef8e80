"""Edge cases of the hub client and the retry policy, faked at the HTTP seam with `responses`."""

import time

import pytest
import requests
import responses

from connector.delivery.hub_client import HubClient
from connector.errors import HubUnavailableError, PermanentError, TransientError
from connector.http import RetryPolicy, parse_retry_after

URL = "http://hub.test"
BATCH = URL + "/api/v1/reports:batch"
FAST = RetryPolicy(quick_attempts=3, quick_max_wait_s=1.0, base_delay_s=1, max_delay_s=60)


def ok_body(n, outcome="created"):
    return {
        "results": [
            {
                "index": i,
                "source_ref": str(i),
                "outcome": outcome,
                "tracking_id": str(1000000 + i),
                "errors": [],
            }
            for i in range(n)
        ]
    }


def client(policy=FAST):
    return HubClient(URL, "secret-token", timeout_s=2, policy=policy)


@responses.activate
def test_503_503_200_succeeds_inside_one_call():
    responses.post(BATCH, status=503)
    responses.post(BATCH, status=503)
    responses.post(BATCH, json=ok_body(2))
    results = client().send_reports([{}, {}])
    assert [r.tracking_id for r in results] == ["1000000", "1000001"]
    assert len(responses.calls) == 3
    assert responses.calls[0].request.headers["Authorization"] == "Bearer secret-token"


@responses.activate
def test_a_short_retry_after_is_waited_out():
    responses.post(BATCH, status=429, headers={"Retry-After": "1"})
    responses.post(BATCH, json=ok_body(1))
    started = time.monotonic()
    client().send_reports([{}])
    assert time.monotonic() - started >= 0.95


@responses.activate
def test_a_long_retry_after_ends_the_call_and_is_carried_to_the_outbox():
    responses.post(BATCH, status=429, headers={"Retry-After": "120"})
    with pytest.raises(HubUnavailableError) as caught:
        client().send_reports([{}])
    assert caught.value.retry_after_s == 120
    assert len(responses.calls) == 1


@responses.activate
def test_persistent_5xx_gives_up_after_the_quick_attempts():
    responses.post(BATCH, status=502)
    with pytest.raises(TransientError, match="HTTP 502"):
        client().send_reports([{}])
    assert len(responses.calls) == 3


@responses.activate
def test_a_dropped_connection_is_transient():
    responses.post(BATCH, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    with pytest.raises(HubUnavailableError, match="ConnectionError"):
        client(RetryPolicy(quick_attempts=1)).send_reports([{}])


@responses.activate
def test_a_timeout_is_transient():
    responses.post(BATCH, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(HubUnavailableError, match="ReadTimeout"):
        client(RetryPolicy(quick_attempts=1)).send_reports([{}])


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422])
@responses.activate
def test_client_errors_are_permanent_and_not_retried(status):
    responses.post(BATCH, status=status, json={"error": {"code": "x", "message": "token unknown"}})
    with pytest.raises(PermanentError, match=f"HTTP {status}: token unknown"):
        client().send_reports([{}])
    assert len(responses.calls) == 1


@pytest.mark.parametrize("status", [408, 425])
@responses.activate
def test_408_and_425_are_transient(status):
    responses.post(BATCH, status=status)
    with pytest.raises(TransientError):
        client(RetryPolicy(quick_attempts=1)).send_reports([{}])


@responses.activate
def test_an_answer_without_one_result_per_report_is_not_trusted():
    responses.post(BATCH, json=ok_body(1))
    with pytest.raises(HubUnavailableError, match="one result per report"):
        client(RetryPolicy(quick_attempts=1)).send_reports([{}, {}])


@responses.activate
def test_an_answer_that_is_not_json_is_transient():
    responses.post(BATCH, body="<html>proxy error</html>", status=200)
    with pytest.raises(HubUnavailableError, match="not JSON"):
        client(RetryPolicy(quick_attempts=1)).send_reports([{}])


@responses.activate
def test_get_report_404_is_none():
    responses.get(
        URL + "/api/v1/reports/123",
        status=404,
        json={"error": {"code": "not_found", "message": "no"}},
    )
    assert client().get_report("123") is None


def test_retry_after_as_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(
        10.0
    )
    assert parse_retry_after("soon") is None and parse_retry_after("7") == 7.0


def test_durable_backoff_grows_with_jitter_is_capped_and_honours_retry_after():
    policy = RetryPolicy(base_delay_s=5, max_delay_s=100)
    first, fourth = policy.next_delay(1), policy.next_delay(4)
    assert 3.75 <= first <= 6.25 and 30 <= fourth <= 50
    assert all(policy.next_delay(20) <= 125 for _ in range(50))
    assert policy.next_delay(1, retry_after_s=60) >= 60
    assert policy.next_delay(1, retry_after_s=10_000) <= 125
    assert policy.exhausted(12) and not policy.exhausted(11)
