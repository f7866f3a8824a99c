package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/meshhold/meshhold/actors/host"
	whrecorder "github.com/meshhold/meshhold/actors/webhook"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/webhook"
	"github.com/meshhold/meshhold/messages"
)

// startWebhooks registers the webhook incident recorder (entity webhook/<name>), opens every
// outbound webhook's sender — loading or creating its cursor before the API serves, so no
// event of this run comes before a new webhook's starting point — and runs them, woken by the
// bus and polling the event log as a fallback. The block collector's stop (close) stops them.
func (d *daemon) startWebhooks() error {
	if len(d.cfg.OutboundWebhooks) == 0 {
		return nil
	}
	mgr, err := d.node.Register(messages.WebhookKind, whrecorder.LoadRecorder)
	if err != nil {
		return err
	}
	log := d.log.With("subsystem", "webhooks")
	report := func(ctx context.Context, in webhook.Incident) error {
		_, err := host.AskChild[messages.WebhookRecorded](ctx, d.node.Root, mgr, in.Webhook, in, askLimit)
		return err
	}
	senders := make([]*webhook.Sender, 0, len(d.cfg.OutboundWebhooks))
	wakes := make([]chan struct{}, 0, len(d.cfg.OutboundWebhooks))
	for _, o := range d.cfg.OutboundWebhooks {
		wake := make(chan struct{}, 1)
		s, err := webhook.New(webhook.Config{Name: o.Name, URL: o.URL, Events: o.Events, Secret: o.Secret},
			webhook.Deps{Log: host.EventLog{Store: d.store}, Store: d.store, Logger: log, Report: report, Wake: wake})
		if err != nil {
			return fmt.Errorf("outbound webhook %s: %w", o.Name, err)
		}
		senders, wakes = append(senders, s), append(wakes, wake)
	}
	sub, err := d.bus.Subscribe(bus.AllEvents, func(bus.Msg) {
		for _, w := range wakes {
			select {
			case w <- struct{}{}:
			default: // already woken
			}
		}
	})
	if err != nil {
		return fmt.Errorf("outbound webhooks: subscribe to events: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() { s.Run(ctx) })
	}
	log.Info("outbound webhooks started", "count", len(senders))
	stopGC := d.stopGC
	d.stopGC = func() {
		_ = sub.Unsubscribe()
		cancel()
		wg.Wait()
		if stopGC != nil {
			stopGC()
		}
	}
	return nil
}

// hooks is the inbound webhook routes' theme: config.yaml's tokens. Post stays nil (503) until
// this node has chat rooms; the rooms' glue sets it.
func (d *daemon) hooks() *api.Hooks {
	tokens := make(map[string]api.HookTarget, len(d.cfg.Webhooks))
	for _, w := range d.cfg.Webhooks {
		tokens[w.Token.Reveal()] = api.HookTarget{RoomID: w.RoomID, Name: w.Name}
	}
	return &api.Hooks{Tokens: tokens}
}
