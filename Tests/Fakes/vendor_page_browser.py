#!/usr/bin/env python3
"""Opens a vendor confirmation link in headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium from PyPI in the environment vendor_venv.py makes), as a
vendor would: checks what the page shows, saves screenshots at desktop (1280 wide) and phone
(390 wide) widths, clicks a button, and checks the page that follows.

    python3 Tests/Fakes/vendor_page_browser.py --url LINK --out DIR [--click confirm|decline]

Then opens the same link again (spent) and a changed one, and screenshots those pages too.
Prints one JSON object: {"title", "headings", "details", "buttons", "labels", "language",
"scripts", "status", "screenshots", "after", "again", "tampered"} (the last three described like
the first page); exits non-zero with a message when the browser cannot be driven.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vendor_venv import ensure_venv  # noqa: E402

ensure_venv()

import json  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WIDTHS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}


def argument(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,900", "--hide-scrollbars", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    # Debian's driver, not Selenium Manager (which would download one).
    service = Service(executable_path=os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def screenshots(driver, out, name):
    """Full-page screenshots at each width, with the device metrics of a desktop and a phone."""
    paths = {}
    for label, (width, height, mobile) in WIDTHS.items():
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        full = driver.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": max(height, int(full)), "deviceScaleFactor": 1, "mobile": mobile})
        path = os.path.join(out, f"{name}-{label}-{width}.png")
        driver.save_screenshot(path)
        paths[label] = path
        overflow = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth")
        if overflow:
            paths[label + "Overflow"] = True
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return paths


def describe(driver):
    return {
        "title": driver.title,
        "headings": [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h1, h2")],
        "details": {row.find_element(By.TAG_NAME, "dt").text: row.find_element(By.TAG_NAME, "dd").text
                    for row in driver.find_elements(By.CSS_SELECTOR, "dl.details div")},
        "buttons": [b.text for b in driver.find_elements(By.TAG_NAME, "button")],
        # What a screen reader announces for each form and button.
        "labels": [f.get_attribute("aria-label") for f in driver.find_elements(By.TAG_NAME, "form")]
        + [driver.execute_script(
            "var e=arguments[0];var d=e.getAttribute('aria-describedby');"
            "return e.textContent.trim()+(d?' — '+document.getElementById(d).textContent.trim():'')", b)
            for b in driver.find_elements(By.TAG_NAME, "button")],
        "language": driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
        "scripts": len(driver.find_elements(By.TAG_NAME, "script")),
        "status": [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[role=status], [role=alert]")],
    }


def main():
    url, out = argument("--url"), argument("--out")
    click = argument("--click", "confirm")
    if not url or not out:
        sys.exit("usage: vendor_page_browser.py --url LINK --out DIR [--click confirm|decline]")
    os.makedirs(out, exist_ok=True)
    driver = browser()
    try:
        driver.get(url)
        WebDriverWait(driver, 15).until(expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
        result = describe(driver)
        result["screenshots"] = {"request": screenshots(driver, out, "vendor-page-request")}
        before = driver.find_element(By.TAG_NAME, "h1")
        driver.find_element(By.ID, click).click()
        WebDriverWait(driver, 15).until(expected_conditions.staleness_of(before))
        WebDriverWait(driver, 15).until(expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
        result["after"] = describe(driver)
        result["screenshots"]["answered"] = screenshots(driver, out, f"vendor-page-{click}ed")
        # The same link again (spent), and a changed one: the status pages, in the same look.
        driver.get(url)
        result["again"] = describe(driver)
        result["screenshots"]["again"] = screenshots(driver, out, "vendor-page-already-answered")
        driver.get(url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB"))
        result["tampered"] = describe(driver)
        result["screenshots"]["tampered"] = screenshots(driver, out, "vendor-page-invalid-link")
        print(json.dumps(result), flush=True)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
