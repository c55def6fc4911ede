package org.bonemarrow.server.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real browser for the console tests: Debian's chromium, headless, driven by Debian's chromedriver
 * through Selenium (nothing downloaded at test time). {@code .ci/run} installs both and sets
 * {@code BONEMARROW_BROWSER_TESTS=required}, so there a missing browser fails the build; on a developer's
 * machine without chromium the browser tests are skipped with a message saying how to get them.
 *
 * <p>Screenshots of each page go to {@code target/screenshots/} (the test artifact); the README's are
 * copies of these.
 */
public final class Browser implements AutoCloseable {

	public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
	public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
	public static final Path SCREENSHOTS = Path.of("target", "screenshots");

	public final ChromeDriver driver;
	private final String base;
	private final Path profile;

	private Browser(ChromeDriver driver, String base, Path profile) {
		this.driver = driver;
		this.base = base;
		this.profile = profile;
	}

	/** A fresh browser (its own profile: no cookies) for the server on this port. */
	public static Browser open(int port) {
		boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
		if (!installed) {
			String how = "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)";
			if ("required".equals(System.getenv("BONEMARROW_BROWSER_TESTS"))) {
				throw new IllegalStateException(how + ", and BONEMARROW_BROWSER_TESTS=required");
			}
			Assumptions.abort(how + ": browser tests skipped");
		}
		try {
			Path profile = Files.createTempDirectory("bm-chromium-");
			ChromeOptions options = new ChromeOptions();
			options.setBinary(CHROMIUM.toFile());
			// As this machine's probe starts chromium: headless, no sandbox (root in CI), and none of the
			// background connections a closed network refuses.
			options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
					"--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
					"--disable-sync", "--disable-extensions", "--window-size=1280,900", "--lang=en-GB",
					"--user-data-dir=" + profile.toAbsolutePath());
			ChromeDriverService service = new ChromeDriverService.Builder()
					.usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
			ChromeDriver driver = new ChromeDriver(service, options);
			driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
			return new Browser(driver, "http://localhost:" + port, profile);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	public Browser go(String path) {
		driver.get(base + path);
		return this;
	}

	/** Waits (with a deadline) until the element is there and visible. */
	public WebElement await(By by) {
		return new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.visibilityOfElementLocated(by));
	}

	public WebElement find(By by) {
		return driver.findElement(by);
	}

	public String path() {
		String url = driver.getCurrentUrl();
		return url.startsWith(base) ? url.substring(base.length()) : url;
	}

	/** Signs in on the authorization server's form, from wherever the console sent the browser. */
	public Browser signIn(String username, String password) {
		await(By.id("username")).sendKeys(username);
		find(By.id("password")).sendKeys(password);
		find(By.id("sign-in")).click();
		return this;
	}

	/** Saves what the browser shows as {@code target/screenshots/<name>.png}. */
	public Path screenshot(String name) {
		try {
			Files.createDirectories(SCREENSHOTS);
			Path target = SCREENSHOTS.resolve(name + ".png");
			File shot = driver.getScreenshotAs(OutputType.FILE);
			Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
			assertThat(Files.size(target)).as("screenshot " + name).isGreaterThan(1000);
			return target;
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	@Override
	public void close() {
		driver.quit();
		try (var files = Files.walk(profile)) {
			files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
		} catch (IOException ignored) {
			// A temporary profile left behind is harmless.
		}
	}
}
