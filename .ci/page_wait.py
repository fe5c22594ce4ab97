"""Waiting for a click's page change in Selenium, shared by the browser tests.

`EC.staleness_of` asks the old node whether it is enabled and expects only
`StaleElementReferenceException`; while Chromium swaps documents it may answer with
other errors ("node does not belong to the document"). Any error about the old node
means the old page is going.
"""
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait


def page_left(driver, element, timeout=15):
    def gone(_):
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(driver, timeout).until(gone)
