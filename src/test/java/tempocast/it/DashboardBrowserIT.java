package tempocast.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven through its chromedriver by
 * Selenium (both paths given, so nothing is downloaded). A coordinator and participants run as real
 * processes; the page, opened once, must show by itself (pushed over Server-Sent Events) a member
 * that registers, sends and disconnects, with the right state and counts, within seconds. Saves
 * {@code target/dashboard.png}. Without Chromium it fails with one line saying how to install it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardBrowserIT extends ItBase {
  static final String CHROMIUM = System.getProperty("tempocast.chromium", "/usr/bin/chromium");
  static final String CHROMEDRIVER =
      System.getProperty("tempocast.chromedriver", "/usr/bin/chromedriver");

  /** The page refreshes once a second; a change must show within this. */
  private static final Duration WITHIN = Duration.ofSeconds(5);

  private static final String TOKEN = "browser-token";

  /**
   * Selenium warns that it has no DevTools bindings for this Chromium's version; the test does not
   * use them. Held here so that the level sticks (java.util.logging keeps loggers weakly).
   */
  private static final List<Logger> QUIET =
      List.of(
          Logger.getLogger("org.openqa.selenium.devtools"),
          Logger.getLogger("org.openqa.selenium.chromium"));

  static {
    QUIET.forEach(l -> l.setLevel(Level.SEVERE));
  }

  private WebDriver browser;

  @BeforeEach
  void startBrowser() throws IOException {
    for (String exe : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(Path.of(exe))) {
        fail(
            exe
                + " not found: install Chromium with 'sudo apt-get install -y chromium"
                + " chromium-driver' (.ci/run does it), or point -Dtempocast.chromium and"
                + " -Dtempocast.chromedriver at them");
      }
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--user-data-dir=" + Files.createTempDirectory(tmp, "chromium-profile"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER))
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stopBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  void aMemberThatRegistersSendsAndDisconnectsShowsUpWithItsStateAndCounts() throws IOException {
    int httpPort = ProcessFixture.freePort();
    Coordinator c = fx.startCoordinator("30", "http-port = " + httpPort, "http-token = " + TOKEN);
    Participant bob = fx.startAndRegister(c, "bob").get(0);
    Participant alice = fx.startParticipant("alice", c.port);

    // the token from the address: the page hands it to its EventSource, which cannot set headers
    browser.get("http://127.0.0.1:" + httpPort + "/?access_token=" + TOKEN);
    awaitText("#live", "live", "the page to receive its first update");
    awaitText("tr[data-participant='bob'] td.state", "online", "bob online in the page");

    alice.register(0);
    awaitText(cell("main", "alice", "state"), "online", "alice online in main");
    awaitText("tr[data-participant='alice'] td.state", "online", "alice online");
    awaitText("#c-registered", "2", "2 registered");
    awaitText("#events li[data-member='alice'][data-kind='registered']", "registered", "event");
    awaitText("#events li[data-member='alice'][data-kind='joined']", "joined main", "event");

    for (int i = 1; i <= 3; i++) {
      alice.msend("seen in a browser " + i);
    }
    bob.awaitLog(3);
    awaitText("tr.group[data-group='main'] td.messages", "3", "3 messages in main");
    awaitText(cell("main", "alice", "received"), "3", "alice received 3 (her own)");
    awaitText(cell("main", "bob", "received"), "3", "bob received 3");
    awaitText(cell("main", "bob", "lag"), "0", "bob's lag 0");

    alice.disconnect();
    awaitText(cell("main", "alice", "state"), "offline", "alice offline in main");
    awaitText("tr[data-participant='alice'] td.state", "offline", "alice offline");
    awaitText("#c-online", "1", "1 online");
    awaitText("#c-offline", "1", "1 offline");
    awaitText("#events li[data-member='alice'][data-kind='offline']", "offline in main", "event");

    // while alice is away bob's message waits for her: her lag shows
    bob.msend("for alice later");
    awaitText(cell("main", "alice", "lag"), "1", "alice's lag 1");
    awaitText("#j-oldest-what", "main #1", "the oldest message in the journal");
    awaitText(cell("main", "alice", "received"), "3", "alice still at 3");
    awaitText("tr.group[data-group='main'] td.messages", "4", "4 messages in main");

    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Path target = Paths.get("target", "dashboard.png");
    Files.createDirectories(target.getParent());
    Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
  }

  private static String cell(String group, String member, String column) {
    return "tr.member[data-group='" + group + "'][data-member='" + member + "'] td." + column;
  }

  /** Waits until the element's text contains {@code expected}; fails saying what it showed. */
  private void awaitText(String css, String expected, String what) {
    try {
      new WebDriverWait(browser, WITHIN)
          .ignoring(NoSuchElementException.class)
          .ignoring(StaleElementReferenceException.class)
          .until(d -> d.findElement(By.cssSelector(css)).getText().contains(expected));
    } catch (TimeoutException e) {
      String shown;
      try {
        shown = browser.findElement(By.cssSelector(css)).getText();
      } catch (NoSuchElementException | StaleElementReferenceException gone) {
        shown = "(no element " + css + ")";
      }
      fail(
          "within "
              + WITHIN.toSeconds()
              + " s: "
              + what
              + ": expected '"
              + expected
              + "' in "
              + css
              + ", the page showed '"
              + shown
              + "'");
    }
  }
}
