import BookijiCore
import Coordinator
import Postgres
import Store
import Testing

extension CoordinatorUseCaseTests {
    /// Vendor notifications and the confirmation page's use cases, in process with a moved clock:
    /// the one-time extension and when it is refused, what is still to send, and what a link
    /// leads to after each way a request can end.
    struct VendorNotificationTests {
        static let key = VendorPageKey(bytes: Array(repeating: 9, count: 32))!

        func link(_ world: World, _ record: ReservationRecord, expiresAt: Int64? = nil) throws -> String {
            try #require(VendorPageToken(
                reservationID: record.id, vendorID: world.vendorID, expiresAt: expiresAt ?? record.deadline!).signed(with: Self.key))
        }

        @Test func theDeadlineIsExtendedOnceWithItsTransitionLogged() throws {
            let world = try World()
            let held = try world.hold()
            let notifications = VendorNotifications(database: world.database)
            let extended = try #require(try notifications.extendDeadlineOnce(reservationID: held.id, now: world.clock + 60))
            #expect(extended == held.deadline! + 600)
            #expect(try notifications.extendDeadlineOnce(reservationID: held.id, now: world.clock + 120) == nil, "only once")
            let (record, history, _) = try world.reservations.find(id: held.id, partnerID: world.partnerID, now: world.clock + 130)
            #expect(record.deadline == extended && record.state == .awaitingVendorConfirmation)
            let entry = try #require(history.last)
            #expect(entry.from == "AWAITING_VENDOR_CONFIRMATION" && entry.to == "AWAITING_VENDOR_CONFIRMATION")
            #expect(entry.triggeredBy == "system" && entry.reason?.contains("extended by 10 minutes") == true)
            #expect(entry.metadataJSON?.contains("\"extendedBySeconds\": 600") == true, "\(entry.metadataJSON ?? "")")
            // The hold now blocks its slot until the new deadline, and expires only then.
            #expect(try world.reservations.expireAll(now: held.deadline! + 1) == 0)
            #expect(try world.reservations.expireAll(now: extended) == 1)
        }

        @Test func noExtensionOncePastTheDeadlineOrAnswered() throws {
            let world = try World()
            let notifications = VendorNotifications(database: world.database)
            let late = try world.hold()
            #expect(try notifications.extendDeadlineOnce(reservationID: late.id, now: late.deadline!) == nil)
            let answered = try world.hold(at: CoordinatorUseCaseTests.tenAM + 3600)
            _ = try world.reservations.confirmByVendor(id: answered.id, vendorID: world.vendorID, now: world.clock + 10)
            #expect(try notifications.extendDeadlineOnce(reservationID: answered.id, now: world.clock + 20) == nil)
            #expect(try notifications.pending(reservationID: answered.id, now: world.clock + 20) == nil, "nothing to send once answered")
        }

        @Test func whatIsStillToSend() throws {
            let world = try World()
            let notifications = VendorNotifications(database: world.database)
            _ = try notifications.setChannels(
                vendorID: world.vendorID, webhookURL: .set("https://vendor.example.com/hook"), email: .set("v@example.com"),
                policy: WebhookURLPolicy())
            let held = try world.hold()
            var pending = try #require(try notifications.pending(reservationID: held.id, now: world.clock))
            #expect(pending.remaining == [.webhook, .email])
            #expect(pending.request.partnerName == "Acme" && pending.request.vendorTimeZone == "UTC")
            try notifications.record(reservationID: held.id, channel: .webhook, error: nil)
            try notifications.record(reservationID: held.id, channel: .email, error: "smtp timeout")
            pending = try #require(try notifications.pending(reservationID: held.id, now: world.clock))
            #expect(pending.remaining == [.email])
            try notifications.record(reservationID: held.id, channel: .email, error: nil)
            #expect(try notifications.pending(reservationID: held.id, now: world.clock)?.remaining == [])
            #expect(try notifications.pending(reservationID: held.id, now: held.deadline!) == nil, "nothing once past its deadline")
            #expect(try world.count("SELECT attempts FROM vendor_notifications WHERE channel = 'email'") == 2)
        }

        @Test func aNewWebhookURLGetsANewSecretAndEmailChangesKeepIt() throws {
            let world = try World()
            let notifications = VendorNotifications(database: world.database)
            let first = try notifications.setChannels(
                vendorID: world.vendorID, webhookURL: .set("https://a.example.com/h"), email: .keep, policy: WebhookURLPolicy())
            let second = try notifications.setChannels(
                vendorID: world.vendorID, webhookURL: .keep, email: .set("v@example.com"), policy: WebhookURLPolicy())
            #expect(first.webhookSecret != nil && second.webhookSecret == first.webhookSecret)
            let third = try notifications.setChannels(
                vendorID: world.vendorID, webhookURL: .set("https://b.example.com/h"), email: .remove, policy: WebhookURLPolicy())
            #expect(third.webhookSecret != first.webhookSecret && third.email == nil)
            CoordinatorUseCaseTests.expectError(.invalidParameter) {
                try notifications.setChannels(
                    vendorID: world.vendorID, webhookURL: .set("https://10.0.0.1/h"), email: .keep, policy: WebhookURLPolicy())
            }
            CoordinatorUseCaseTests.expectError(.vendorNotFound) {
                try notifications.setChannels(
                    vendorID: "00000000-0000-4000-8000-000000000000", webhookURL: .keep, email: .set("v@example.com"),
                    policy: WebhookURLPolicy())
            }
        }

        /// What a link leads to after each way the request can end.
        @Test func aLinkShowsHowItsRequestEnded() throws {
            var world = try World()
            let page = VendorConfirmationPage(database: world.database, key: Self.key)
            let open = try world.hold()
            guard case .open = try page.state(of: try link(world, open), now: world.clock) else { Issue.record("not open"); return }

            // Answered through the API: the link is spent.
            _ = try world.reservations.confirmByVendor(id: open.id, vendorID: world.vendorID, now: world.clock + 5)
            guard case .answered(_, confirmed: true, _) = try page.state(of: try link(world, open), now: world.clock + 6) else {
                Issue.record("not answered"); return
            }
            guard case .refused(.answered) = try page.answer(.decline, link: try link(world, open), now: world.clock + 7) else {
                Issue.record("answered twice"); return
            }

            // Withdrawn by the partner.
            let cancelled = try world.hold(at: CoordinatorUseCaseTests.tenAM + 3600)
            _ = try world.reservations.cancel(id: cancelled.id, partnerID: world.partnerID, now: world.clock + 5)
            guard case .withdrawn(_, let reason) = try page.state(of: try link(world, cancelled), now: world.clock + 6) else {
                Issue.record("not withdrawn"); return
            }
            #expect(reason.contains("Acme withdrew"))

            // The deadline passed (lazily recorded by the read), and a link past its own expiry.
            let lapsed = try world.hold(at: CoordinatorUseCaseTests.tenAM + 7200)
            guard case .expired = try page.state(of: try link(world, lapsed), now: lapsed.deadline!) else { Issue.record("not expired"); return }
            world.clock += 1
            let fresh = try world.hold(at: CoordinatorUseCaseTests.tenAM + 10_800)
            guard case .expired = try page.state(of: try link(world, fresh, expiresAt: world.clock - 1), now: world.clock) else {
                Issue.record("an expired link opened"); return
            }

            // Another vendor's id in a genuine token, another key, garbage: not valid.
            let wrongVendor = try #require(VendorPageToken(
                reservationID: fresh.id, vendorID: "00000000-0000-4000-8000-000000000000", expiresAt: fresh.deadline!).signed(with: Self.key))
            let anotherKey = try #require(VendorPageKey(bytes: Array(repeating: 1, count: 32)))
            let otherKey = try #require(VendorPageToken(reservationID: fresh.id, vendorID: world.vendorID, expiresAt: fresh.deadline!)
                .signed(with: anotherKey))
            for bad in [wrongVendor, otherKey, "garbage"] {
                guard case .invalid = try page.state(of: bad, now: world.clock) else { Issue.record("\(bad) accepted"); return }
            }

            // Declined through the page.
            guard case .declined(let request) = try page.answer(.decline, link: try link(world, fresh), now: world.clock) else {
                Issue.record("not declined"); return
            }
            #expect(request.reservation.state == .cancelled && request.reservation.failureReason == "declined by vendor")
        }
    }
}
