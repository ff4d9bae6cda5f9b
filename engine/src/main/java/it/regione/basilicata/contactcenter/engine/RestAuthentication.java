package it.regione.basilicata.contactcenter.engine;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Every request to the engine's REST API needs HTTP Basic credentials, even on loopback: another
 * local user must not be able to start, read or change process instances. The credentials come
 * from ENGINE_REST_USER / ENGINE_REST_PASSWORD (the app generates them into its data folder); the
 * engine refuses to start without them. Comparison is constant-time.
 */
@Configuration
public class RestAuthentication {

  @Bean
  public FilterRegistrationBean<Filter> engineRestBasicAuth(
      @Value("${engine.rest.user:}") String user, @Value("${engine.rest.password:}") String password) {
    if (user.isBlank() || password.length() < 16) {
      throw new IllegalStateException(
          "ENGINE_REST_USER and ENGINE_REST_PASSWORD (16+ characters) must be set: the REST API is never open");
    }
    byte[] expected =
        ("Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)))
            .getBytes(StandardCharsets.UTF_8);
    FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(new BasicAuthFilter(expected));
    registration.addUrlPatterns("/engine-rest/*");
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    registration.setName("engineRestBasicAuth");
    return registration;
  }

  static final class BasicAuthFilter implements Filter {
    private final byte[] expected;

    BasicAuthFilter(byte[] expected) {
      this.expected = expected;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
        throws IOException, ServletException {
      String header = ((HttpServletRequest) req).getHeader("Authorization");
      byte[] given = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
      if (MessageDigest.isEqual(given, expected)) {
        chain.doFilter(req, res);
        return;
      }
      HttpServletResponse response = (HttpServletResponse) res;
      response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
      response.setHeader("WWW-Authenticate", "Basic realm=\"engine-rest\"");
      response.setContentType("application/json");
      response.getWriter().write("{\"type\":\"AuthenticationException\",\"message\":\"credentials required\"}");
    }
  }
}
