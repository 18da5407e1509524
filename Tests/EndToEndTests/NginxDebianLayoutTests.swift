import Foundation
import Testing

/// The README's nginx steps (Deploying, step 5) followed on a Debian-like `/etc/nginx` in a scratch
/// folder: the files land in conf.d/, snippets/ and sites-available/ (linked from sites-enabled/),
/// Debian's own nginx.conf includes them, `nginx -t` accepts the result and it serves the API.
@Suite(.serialized) struct NginxDebianLayoutTests {
    /// Debian's nginx.conf (this machine's when its nginx is Debian's; else the same shape), with
    /// its absolute paths moved under `etc`.
    private func makeDebianEtc(_ etc: String) throws {
        for folder in ["conf.d", "snippets", "sites-available", "sites-enabled", "modules-enabled", "log", "temp"] {
            try FileManager.default.createDirectory(atPath: etc + "/" + folder, withIntermediateDirectories: true)
        }
        let debian = (try? String(contentsOfFile: "/etc/nginx/nginx.conf", encoding: .utf8)) ?? """
            user www-data;
            worker_processes auto;
            pid /run/nginx.pid;
            error_log /var/log/nginx/error.log;
            include /etc/nginx/modules-enabled/*.conf;
            events { worker_connections 768; }
            http {
                sendfile on;
                include /etc/nginx/mime.types;
                default_type application/octet-stream;
                access_log /var/log/nginx/access.log;
                include /etc/nginx/conf.d/*.conf;
                include /etc/nginx/sites-enabled/*;
            }
            """
        #expect(debian.contains("include /etc/nginx/conf.d/*.conf;"))
        #expect(debian.contains("include /etc/nginx/sites-enabled/*;"))
        var moved = debian.replacingOccurrences(of: "/etc/nginx/", with: etc + "/")
            .replacingOccurrences(of: "/var/log/nginx/", with: etc + "/log/")
            .replacingOccurrences(of: "/run/nginx.pid", with: etc + "/nginx.pid")
        // Temporary files inside the folder too (Debian's build puts them in /var/lib/nginx).
        moved = moved.replacingOccurrences(of: "http {", with: """
            http {
                client_body_temp_path \(etc)/temp/body;
                fastcgi_temp_path \(etc)/temp/fastcgi;
                proxy_temp_path \(etc)/temp/proxy;
                uwsgi_temp_path \(etc)/temp/uwsgi;
                scgi_temp_path \(etc)/temp/scgi;
            """)
        try moved.write(toFile: etc + "/nginx.conf", atomically: true, encoding: .utf8)
        let types = (try? String(contentsOfFile: "/etc/nginx/mime.types", encoding: .utf8)) ?? "types { application/json json; }\n"
        try types.write(toFile: etc + "/mime.types", atomically: true, encoding: .utf8)
    }

    private func replace(_ from: String, with to: String, in path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try #require(text.contains(from), "\(path) no longer contains \(from)")
        try text.replacingOccurrences(of: from, with: to).write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func readmeStepsGiveAConfigurationNginxAcceptsAndServes() throws {
        let service = try Service()
        defer { service.stop() }
        let etc = service.directoryPath("etc-nginx")
        try makeDebianEtc(etc)

        // The README's commands, /etc/nginx being `etc`.
        try run("/bin/sh", ["-c", """
            set -e
            cd '\(Paths.repositoryRoot)'
            cp nginx/conf.d/bookiji.conf '\(etc)/conf.d/'
            cp nginx/snippets/bookiji-locations.conf nginx/snippets/bookiji-metrics-allow.conf '\(etc)/snippets/'
            cp nginx/sites-available/bookiji '\(etc)/sites-available/'
            ln -s ../sites-available/bookiji '\(etc)/sites-enabled/bookiji'
            """])
        let nginxT = try capture("/usr/sbin/nginx", ["-t", "-p", etc, "-c", etc + "/nginx.conf", "-e", etc + "/log/error.log"])
        #expect(nginxT.exitCode == 0, "nginx -t: \(nginxT.stderr)")

        // And the README's edits: the socket path, and a port of the test's own instead of 80.
        try replace("unix:/run/bookiji/bookiji.sock", with: "unix:" + service.socketPath, in: etc + "/conf.d/bookiji.conf")
        let port = freePort()
        try replace("    listen 80 default_server;\n    listen [::]:80 default_server;\n",
                    with: "    listen 127.0.0.1:\(port) default_server;\n", in: etc + "/sites-available/bookiji")
        let nginx = try Daemon("/usr/sbin/nginx", [
            "-p", etc, "-c", etc + "/nginx.conf", "-e", etc + "/log/error.log", "-g", "daemon off;",
        ], logPath: etc + "/log/nginx.out")
        defer { nginx.stop() }
        #expect(eventually(seconds: 10) { (try? HTTPClient.send(port: port, path: "/v1/health").status) == 200 }, "\(nginx.log)")
        let unknown = try HTTPClient.send(port: port, path: "/elsewhere")
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "not_found")
        let api = try HTTPClient.send(port: port, path: "/v1/ping")
        #expect(api.status == 401, "the API's own answer through the snippet")
        #expect(api.header("x-request-id") != nil)
    }

    /// The Retry-After of nginx's 429 follows the rate scripts/nginx-conf was given: at 30 requests
    /// a minute, one request's allowance comes back after 2 s.
    @Test func retryAfterFollowsTheRate() throws {
        let service = try Service(nginxArguments: ["--rate", "30r/m", "--burst", "0"])
        defer { service.stop() }
        var limited: WireResponse?
        for _ in 0..<5 {
            let response = try service.get("/v1/health")
            if response.status == 429 { limited = response; break }
        }
        let response = try #require(limited, "no 429 at 30r/m without burst")
        #expect(response.header("retry-after") == "2")
        #expect(response.error?["retryAfter"] as? Int == 2)
        #expect(response.errorCode == "rate_limited")
    }
}
