package io.llmmetering.creditapi.webhooks;

import org.springframework.security.web.util.matcher.IpAddressMatcher;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * Which URLs a webhook may be sent to. An admin's URL is a request the service makes from inside its network, so
 * a target that resolves to a loopback, private, link-local (the cloud metadata address), carrier-grade NAT,
 * unique-local, multicast or unspecified address is refused unless a configured range allows it. Checked when the
 * endpoint is registered and again before every attempt, since DNS can change in between.
 */
final class WebhookTargets {

    private static final List<IpAddressMatcher> NOT_PUBLIC = List.of(new IpAddressMatcher("100.64.0.0/10"), new IpAddressMatcher("0.0.0.0/8"),
            new IpAddressMatcher("fc00::/7"), new IpAddressMatcher("198.18.0.0/15"));

    private final List<IpAddressMatcher> allowed;

    WebhookTargets(List<String> allowPrivateNetworks) {
        this.allowed = allowPrivateNetworks.stream().map(IpAddressMatcher::new).toList();
    }

    /** Why {@code url} may not be a target, or empty when it may. */
    Optional<String> refusal(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return Optional.of("url is not a valid URI");
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
            return Optional.of("url must be http or https");
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            return Optional.of("url must name a host, without credentials or a fragment");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(uri.getHost());
        } catch (UnknownHostException e) {
            return Optional.of("host " + uri.getHost() + " does not resolve");
        }
        for (InetAddress address : addresses) {
            if (notPublic(address) && allowed.stream().noneMatch(range -> range.matches(address.getHostAddress()))) {
                return Optional.of("host " + uri.getHost() + " resolves to " + address.getHostAddress()
                        + ", a private, loopback or link-local address (allow its range in credit.webhooks.allow-private-networks)");
            }
        }
        return Optional.empty();
    }

    private static boolean notPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress() || address.isSiteLocalAddress()
                || address.isMulticastAddress()) {
            return true;
        }
        if (address instanceof Inet6Address v6 && v6.isIPv4CompatibleAddress()) {
            return true;
        }
        return NOT_PUBLIC.stream().anyMatch(range -> range.matches(address.getHostAddress()));
    }
}
