"""Payment collection: installments, payments, dunning steps, e-mails sent and customer risk flags."""
