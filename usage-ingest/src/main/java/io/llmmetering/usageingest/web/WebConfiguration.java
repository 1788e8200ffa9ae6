package io.llmmetering.usageingest.web;

import io.llmmetering.core.keys.IngestKeyAuthenticator;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
class WebConfiguration {

    @Bean
    FilterRegistrationBean<IngestKeyFilter> ingestKeyFilter(IngestKeyAuthenticator authenticator) {
        FilterRegistrationBean<IngestKeyFilter> registration = new FilterRegistrationBean<>(new IngestKeyFilter(authenticator));
        registration.addUrlPatterns("/*");
        return registration;
    }

    @Bean
    io.swagger.v3.oas.models.OpenAPI ingestOpenApi() {
        return IngestDocument.openApi();
    }
}
