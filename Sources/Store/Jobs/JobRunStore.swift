import Postgres

/// A job's latest run as `bookiji worker status` shows it.
public struct JobStatus: Sendable, Hashable {
    public var job: String
    public var lastStartedAt: Double
    public var lastFinishedAt: Double?
    /// `running`, `succeeded` or `failed`.
    public var lastOutcome: String
    public var lastError: String?
    public var lastWorker: String
    public var runs: Int
    public var failures: Int
    /// What the last run reported, as `name=count` pairs (empty when it reports nothing).
    public var lastReport: String = ""
    /// The reports' totals since the job first ran, likewise.
    public var totals: String = ""
}

/// The record of the worker's job runs (`worker_jobs`: the latest per job; `worker_job_runs`:
/// every run of a periodic job, kept a week).
public struct JobRunStore {
    let session: Session

    public init(session: Session) {
        self.session = session
    }

    /// Records that `worker` started `job`; returns the run's id for ``finish(run:job:error:)``.
    public func start(job: String, worker: String) throws -> Int64 {
        try session.transaction { session in
            try session.connection.query("""
                INSERT INTO worker_jobs AS j (job, last_started_at, last_outcome, last_worker)
                VALUES ($1, clock_timestamp(), 'running', $2)
                ON CONFLICT (job) DO UPDATE
                SET last_started_at = excluded.last_started_at, last_finished_at = NULL,
                    last_outcome = 'running', last_error = NULL, last_worker = excluded.last_worker
                """, [job, worker])
            return try session.connection.query(
                "INSERT INTO worker_job_runs (job, worker, outcome) VALUES ($1, $2, 'running') RETURNING id",
                [job, worker]
            ).first!.int64(0)
        }
    }

    /// Records how run `run` of `job` ended (`error` nil: it succeeded), and forgets runs older
    /// than a week.
    /// - Parameter report: what the run did, as counts by name: kept as the last report and
    ///   added to the job's totals.
    public func finish(run: Int64, job: String, error: String?, report: [String: Int] = [:]) throws {
        try session.transaction { session in
            let outcome = error == nil ? "succeeded" : "failed"
            try session.connection.query("""
                UPDATE worker_job_runs SET finished_at = clock_timestamp(), outcome = $2, error = left($3, 2000)
                WHERE id = $1
                """, [run, outcome, error])
            try session.connection.query("""
                UPDATE worker_jobs j
                SET last_finished_at = clock_timestamp(), last_outcome = $2, last_error = left($3, 2000),
                    runs = runs + 1, failures = failures + CASE WHEN $3::text IS NULL THEN 0 ELSE 1 END,
                    last_report = $4::jsonb,
                    totals = (SELECT coalesce(jsonb_object_agg(k, coalesce((j.totals->>k)::bigint, 0) + coalesce(($4::jsonb->>k)::bigint, 0)), '{}'::jsonb)
                              FROM (SELECT jsonb_object_keys(j.totals) UNION SELECT jsonb_object_keys($4::jsonb)) AS keys (k))
                WHERE job = $1
                """, [job, outcome, error, Self.json(report)])
            try session.connection.query(
                "DELETE FROM worker_job_runs WHERE job = $1 AND started_at < clock_timestamp() - interval '7 days'", [job])
        }
    }

    /// Records a run of a continuous job (the expiry sweep) that started `seconds` ago and has
    /// ended, in `worker_jobs` only: it runs too often to keep each run.
    public func recordRun(job: String, worker: String, seconds: Double, error: String?) throws {
        try session.run { session in
            _ = try session.connection.query("""
                INSERT INTO worker_jobs AS j (job, last_started_at, last_finished_at, last_outcome, last_error, last_worker, runs, failures)
                VALUES ($1, clock_timestamp() - make_interval(secs => $3::float8), clock_timestamp(),
                        CASE WHEN $4::text IS NULL THEN 'succeeded' ELSE 'failed' END, left($4, 2000), $2, 1,
                        CASE WHEN $4::text IS NULL THEN 0 ELSE 1 END)
                ON CONFLICT (job) DO UPDATE
                SET last_started_at = excluded.last_started_at, last_finished_at = excluded.last_finished_at,
                    last_outcome = excluded.last_outcome, last_error = excluded.last_error,
                    last_worker = excluded.last_worker, runs = j.runs + 1, failures = j.failures + excluded.failures
                """, [job, worker, seconds, error])
        }
    }

    /// Seconds since `job` last started anywhere; nil when it never ran.
    public func secondsSinceLastStart(job: String) throws -> Double? {
        try session.run { session in
            try session.connection.query(
                "SELECT extract(epoch FROM clock_timestamp() - last_started_at)::float8 FROM worker_jobs WHERE job = $1",
                [job]
            ).first?.optional(Double.self, 0)
        }
    }

    /// Every job's latest run, by name.
    public func statuses() throws -> [JobStatus] {
        try session.run { session in
            try session.connection.query("""
                SELECT job, extract(epoch FROM last_started_at)::float8, extract(epoch FROM last_finished_at)::float8,
                       last_outcome, last_error, last_worker, runs, failures,
                       (SELECT coalesce(string_agg(key || '=' || value, ' ' ORDER BY key), '') FROM jsonb_each_text(last_report)),
                       (SELECT coalesce(string_agg(key || '=' || value, ' ' ORDER BY key), '') FROM jsonb_each_text(totals))
                FROM worker_jobs ORDER BY job
                """
            ).map { row in
                JobStatus(
                    job: try row.string(0), lastStartedAt: try row.double(1), lastFinishedAt: try row.optional(Double.self, 2),
                    lastOutcome: try row.string(3), lastError: try row.optional(String.self, 4), lastWorker: try row.string(5),
                    runs: try row.int(6), failures: try row.int(7), lastReport: try row.string(8), totals: try row.string(9))
            }
        }
    }

    /// A report as a JSON object of counts (names are the code's own, plain identifiers).
    static func json(_ report: [String: Int]) -> String {
        "{" + report.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }
}
