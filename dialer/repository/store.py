"""``DialerStore``: the one object the engine, the CLI and the console use for the dialer's
tables.  It owns one repository per concern and exposes their methods as its own (bound, so
their signatures are written once, in the repositories)."""

from __future__ import annotations

from dialer.repository.attempts import Attempts
from dialer.repository.campaigns import Campaigns
from dialer.repository.claims import Claims
from dialer.repository.contact_lists import ContactLists
from dialer.repository.dnc import DoNotCallList
from dialer.repository.limit_values import StoredLimits
from dialer.repository.reports import ReportRows
from dialer.repository.scenarios import ScenarioVersions
from dialer.repository.targets import Targets
from hotline.store.db import Database
from hotline.store.surveys import SurveyStore


class DialerStore:
    """The dialer's tables under the names the engine, the CLI and the console use: each name
    is a method of the repository for its concern (one unit of work per call)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.is_sqlite = db.is_sqlite
        dnc = DoNotCallList(db)
        scenarios = ScenarioVersions(db)
        campaigns = Campaigns(db, scenarios)
        lists = ContactLists(db)
        targets = Targets(db)
        attempts = Attempts(db)
        limits = StoredLimits(db)
        reports = ReportRows(db)
        surveys = SurveyStore(db)
        claims = Claims(db)
        # do-not-call
        self.dnc_add = dnc.add
        self.dnc_numbers = dnc.numbers
        self.dnc_listed = dnc.listed
        # scenarios
        self.add_scenario = scenarios.add
        self.scenario = scenarios.get
        self.scenario_by_id = scenarios.by_id
        self.scenarios = scenarios.all
        # campaigns
        self.create_campaign = campaigns.create
        self.campaign = campaigns.get
        self.campaign_by_id = campaigns.by_id
        self.campaign_state = campaigns.state
        self.campaigns = campaigns.all
        self.approve = campaigns.approve
        self.start = campaigns.start
        self.pause = campaigns.pause
        self.resume = campaigns.resume
        self.stop = campaigns.stop
        self.set_rules = campaigns.set_rules
        self.finish_if_done = campaigns.finish_if_done
        self.end_campaign = campaigns.end
        # contact lists
        self.attach_list = lists.attach
        self.contact_list = lists.get
        # dispatch
        self.due_targets = targets.due
        self.target = targets.get
        self.defer = targets.defer
        self.close_target = targets.close
        self.emails_due = targets.emails_due
        self.email_done = targets.email_done
        self.sms_due = targets.sms_due
        self.sms_update = targets.sms_update
        self.limits = limits.all
        self.set_limit = limits.set
        # attempts
        self.begin_attempt = attempts.begin
        self.begin_attempts = attempts.begin_many
        self.withdraw_attempts = attempts.withdraw
        self.mark_sent = attempts.mark_sent
        self.withdraw_marked = attempts.withdraw_marked
        self.attempt = attempts.get
        self.inflight = attempts.inflight
        self.inflight_counts = attempts.inflight_counts
        self.last_call_to = attempts.last_call_to
        self.last_calls_to = attempts.last_calls_to
        self.attempts_since = attempts.since
        self.mark_attempt = attempts.mark
        self.end_attempt = attempts.end
        # several workers (issue 20)
        self.claim_targets = claims.claim
        self.release_claims = claims.release
        self.adopt_attempts = claims.adopt
        self.node_load = claims.node_load
        # reports
        self.target_counts = reports.target_counts
        self.attempt_counts = reports.attempt_counts
        self.open_attempts = reports.open_attempts
        self.targets_detail = reports.targets_detail
        self.attempts_detail = reports.attempts_detail
        self.attempt_minutes = reports.attempt_minutes
        self.iter_targets = reports.iter_targets
        self.iter_attempts = reports.iter_attempts
        # survey answers (R-105-R-108): stored per question, the cap, the results
        self.add_survey_answer = surveys.add
        self.surveyed_since = surveys.surveyed_since
        self.survey_results = surveys.results
        self.survey_answers = surveys.answers
