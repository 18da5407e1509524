# Benchmarks/availability/vendors.awk — realistic rules and busy calendars for the benchmark's vendors.
#
#   awk -v count=N -v dir=DIR -v days="YYYY-MM-DD ..." -f vendors.awk
#
# `days` lists the dates of the benchmark's windows, 7 per window, each run of 7 starting on a
# Monday. Writes, for vendors 1..N:
#   DIR/vendors.tsv  "NAME<TAB>ZONE<TAB>RULES-JSON" per vendor (NAME is bench-vendor-NNNN), for
#                    COPY into vendors (name, timezone, rules)
#   DIR/busy.ics     one calendar with every vendor's events; each UID starts "KIND-INDEX-", so
#                    the intervals `bookiji ics expand` prints can be given back to their vendor
#
# Everything is derived from the vendor's index, so two runs with the same N get the same mix:
#   zones        8 zones on 4 continents, including a half-hour offset (Asia/Calcutta: the
#                backward name, because `vendor create` refuses Asia/Kolkata for now)
#   hours        Monday-Friday with a lunch break (3 profiles); late Thursdays for every 5th
#                vendor; Saturday mornings for every 4th
#   slots        60 minutes for every 3rd vendor, else 30
#   buffers      15 min before for every 7th; 0/5/10/15 min after
#   notice       0, 1 h, 2 h or 24 h; horizon 30, 60, 90 or 365 days
#   overrides    the first window's Wednesday closed (every 10th), its Friday 09:00-12:00 (every
#                10th, offset 5), 24 Dec closed and 31 Dec short (every 2nd)
#   busy time    in the vendor's zone: a weekly Monday meeting (every 2nd, RRULE), Tuesday client
#                calls (every 3rd), a tentative weekly Thursday slot (every 4th, RRULE), a free
#                (TRANSPARENT) Wednesday event that must block nothing (every 5th), a vacation
#                day on the last Friday (every 25th), and 45-minute meetings on about half of all
#                weekdays
function compact(d) { gsub(/-/, "", d); return d }
function range(a, b) { return "{\"start\":\"" a "\",\"end\":\"" b "\"}" }
function stamp(d, minutes) { return compact(d) "T" sprintf("%02d%02d00", int(minutes / 60), minutes % 60) }

# event UID LOCAL-DATE FROM-MINUTES TO-MINUTES ZONE EXTRA-LINES [END-DATE]
function event(uid, d, from, to, zone, extra, end_date) {
    printf "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\n", uid > ics
    printf "DTSTART;TZID=%s:%s\r\nDTEND;TZID=%s:%s\r\n", zone, stamp(d, from), zone, \
        stamp(end_date == "" ? d : end_date, to) > ics
    printf "%sSUMMARY:busy\r\nEND:VEVENT\r\n", extra > ics
}

BEGIN {
    nz = split("Europe/Berlin America/New_York Asia/Calcutta Australia/Sydney Europe/London America/Los_Angeles Asia/Tokyo America/Sao_Paulo", zones, " ")
    ndays = split(days, day, " ")
    if (count < 1 || dir == "" || ndays < 7 || ndays % 7 != 0) {
        print "vendors.awk: needs count >= 1, dir, and days listing whole weeks" > "/dev/stderr"
        exit 1
    }
    weeks = ndays / 7
    year = substr(day[1], 1, 4)
    split("monday tuesday wednesday thursday friday", weekdays, " ")
    split("0 5 10 15", after, " ")
    split("0 60 120 1440", notice, " ")
    split("30 60 90 365", horizon, " ")
    tsv = dir "/vendors.tsv"
    ics = dir "/busy.ics"
    printf "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bookiji//availability benchmark//EN\r\n" > ics

    for (i = 1; i <= count; i++) {
        zone = zones[i % nz + 1]
        profile = i % 3
        if (profile == 0) work = range("09:00", "12:30") "," range("13:30", "18:00")
        else if (profile == 1) work = range("08:00", "12:00") "," range("13:00", "17:00")
        else work = range("10:00", "13:00") "," range("14:00", "19:00")
        week = ""
        for (w = 1; w <= 5; w++) {
            hours = (w == 4 && i % 5 == 0) ? range("12:00", "20:00") : work
            week = week (w > 1 ? "," : "") "\"" weekdays[w] "\":[" hours "]"
        }
        if (i % 4 == 0) week = week ",\"saturday\":[" range("09:00", "13:00") "]"

        split("", over)
        if (i % 10 == 0) over[day[3]] = ""
        if (i % 10 == 5) over[day[5]] = range("09:00", "12:00")
        if (i % 2 == 0) {
            if (!((year "-12-24") in over)) over[year "-12-24"] = ""
            if (!((year "-12-31") in over)) over[year "-12-31"] = range("10:00", "14:00")
        }
        overrides = ""
        for (d in over) overrides = overrides (overrides == "" ? "" : ",") "{\"date\":\"" d "\",\"hours\":[" over[d] "]}"

        printf "bench-vendor-%04d\t%s\t", i, zone > tsv
        printf "{\"timeZone\":\"%s\",\"slotMinutes\":%d,\"bufferBeforeMinutes\":%d,\"bufferAfterMinutes\":%d,", \
            zone, (i % 3 == 0) ? 60 : 30, (i % 7 == 0) ? 15 : 0, after[i % 4 + 1] > tsv
        printf "\"minimumNoticeMinutes\":%d,\"bookingHorizonDays\":%d,\"granuleMinutes\":5,", \
            notice[int(i / 4) % 4 + 1], horizon[i % 4 + 1] > tsv
        printf "\"weeklyHours\":{%s},\"dateOverrides\":[%s]}\n", week, overrides > tsv

        if (i % 2 == 0) event("mon-" i "-@bench", day[1], 600, 660, zone, "RRULE:FREQ=WEEKLY;COUNT=" weeks "\r\n")
        if (i % 4 == 1)
            event("thu-" i "-@bench", day[4], 540, 570, zone, "RRULE:FREQ=WEEKLY;COUNT=" weeks "\r\nSTATUS:TENTATIVE\r\n")
        for (w = 0; w < weeks; w++) {
            if (i % 3 == 0) event("tue-" i "-" w "@bench", day[w * 7 + 2], 840, 930, zone, "")
            if (i % 5 == 2) event("free-" i "-" w "@bench", day[w * 7 + 3], 960, 1020, zone, "TRANSP:TRANSPARENT\r\n")
            for (d = 0; d < 5; d++) {
                h = (i * 7 + d * 3 + w * 5) % 10
                if (h >= 5) continue
                start = (9 + h) * 60 + ((i + d) % 4) * 15
                event("meet-" i "-" w "-" d "@bench", day[w * 7 + d + 1], start, start + 45, zone, "")
            }
        }
        # A whole local day: the last Friday 00:00 to Saturday 00:00 in the vendor's zone.
        if (i % 25 == 0) event("vacation-" i "-@bench", day[ndays - 2], 0, 0, zone, "", day[ndays - 1])
    }
    printf "END:VCALENDAR\r\n" > ics
    close(tsv)
    close(ics)
}
