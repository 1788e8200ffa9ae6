package io.llmmetering.creditapi.web;

import io.llmmetering.core.problems.ProblemType;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;

import java.io.IOException;
import java.io.Writer;

/**
 * Requests Tomcat refuses before any servlet runs (a request line or headers over 8 KiB, a malformed request
 * line) are answered as problem+json like every other refusal, instead of Tomcat's HTML page: the fuzz run found
 * a long query string answered with HTML.
 */
@Configuration(proxyBeanMethods = false)
class TomcatProblems {

    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE) // after Spring Boot's own valve setup, so ours is the one that reports
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports() {
        return factory -> factory.addContextCustomizers(context -> {
            // the host adds its report valve by class name when it starts; any other one would print Tomcat's page
            for (Valve valve : context.getParent().getPipeline().getValves()) {
                if (valve instanceof ErrorReportValve) {
                    context.getParent().getPipeline().removeValve(valve);
                }
            }
            ((StandardHost) context.getParent()).setErrorReportValveClass(ProblemErrorReportValve.class.getName());
        });
    }

    public static final class ProblemErrorReportValve extends ErrorReportValve {

        public ProblemErrorReportValve() {
            setShowReport(false);
            setShowServerInfo(false);
        }

        @Override
        protected void report(Request request, Response response, Throwable throwable) {
            int status = response.getStatus();
            // an answer already written (Spring's problem+json) or not an error: nothing to add
            if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
                return;
            }
            HttpStatus known = HttpStatus.resolve(status);
            String detail = status == 400 ? "the request line or headers are malformed or larger than the server accepts"
                    : known == null ? "the request could not be served" : known.getReasonPhrase();
            try {
                response.setContentType(ProblemType.MEDIA_TYPE);
                response.setCharacterEncoding("UTF-8");
                Writer writer = response.getReporter();
                if (writer != null) {
                    String title = known == null ? "Error" : known.getReasonPhrase();
                    // the container answers statuses of its own (414, 431, ...): outside the catalogue, same base
                    writer.write(status == 400 ? ProblemType.MALFORMED_REQUEST.json(title, detail)
                            : ProblemType.json(status, title, "http-" + status, detail));
                    response.finishResponse();
                }
            } catch (IOException | IllegalStateException e) {
                // the client is gone or the response was committed meanwhile: nothing left to tell it
            }
        }
    }
}
