//! Who receives a backend's answer: the sender, or for a `broadcast: true` answer the
//! connections of the partitions it names (a booking and its participants, a user, the feed).

use crate::message::Sender;
use crate::{
    endpoints, ConnectionItem, ConnectionType, Id, IdError, IdKind, Proxy, RegistryError, Secret,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tracing::warn;

impl Proxy {
    /// The connection ids that receive `answer`: everyone a `broadcast: true` answer names
    /// ([`Proxy::broadcast_targets`]), else the sender. An id in the answer that could not
    /// be a path segment or registry key is an error; a registry lookup that fails is added
    /// to `missed`.
    pub(crate) async fn audience(
        &self,
        connection_id: &str,
        sender: &Sender,
        message_booking: Option<&Id>,
        answer: &Value,
        missed: &mut Vec<RegistryError>,
    ) -> Result<Vec<String>, IdError> {
        let targets = if answer.get("broadcast") == Some(&Value::Bool(true)) {
            self.broadcast_targets(sender.kind, answer, message_booking, &sender.token, missed)
                .await?
        } else {
            None
        };
        Ok(targets.unwrap_or_else(|| vec![connection_id.to_owned()]))
    }

    /// Who receives a `broadcast: true` answer; `Ok(None)` means the sender only. An id in
    /// the answer that could not be a path segment or registry key is an error; a registry
    /// lookup that fails is added to `missed`.
    async fn broadcast_targets(
        &self,
        kind: ConnectionType,
        answer: &Value,
        message_booking: Option<&Id>,
        token: &Secret,
        missed: &mut Vec<RegistryError>,
    ) -> Result<Option<Vec<String>>, IdError> {
        Ok(match kind {
            ConnectionType::Chat => {
                let booking = match Id::from_json(IdKind::Booking, answer.get("booking_id"))? {
                    Some(b) => b,
                    None => match message_booking {
                        Some(b) => b.clone(),
                        None => return Ok(None),
                    },
                };
                let mut partitions = vec![booking.as_str().to_owned()];
                partitions.extend(self.participants(&booking, token).await);
                Some(self.connections_in(&partitions, kind, missed).await)
            }
            ConnectionType::Notification => {
                match Id::from_json(IdKind::User, answer.get("user_id"))? {
                    Some(uid) => Some(
                        self.connections_in(&[uid.user_partition()], kind, missed)
                            .await,
                    ),
                    None => None,
                }
            }
            ConnectionType::Feed => Some(
                self.connections_in(&["feed".to_owned()], kind, missed)
                    .await,
            ),
            ConnectionType::Booking => None,
        })
    }

    /// The `user_{id}` partitions of a booking's owner and renter, as the backend names them.
    ///
    /// An unusable id is left out, as a failed lookup is: the booking still gets the message.
    async fn participants(&self, booking: &Id, token: &Secret) -> Vec<String> {
        let path = endpoints::chat_participants(booking);
        match self
            .backend
            .post(&path, &json!({"token": token.expose()}))
            .await
        {
            Ok(answer) => [IdKind::Owner, IdKind::Renter]
                .into_iter()
                .filter_map(|kind| match Id::from_json(kind, answer.get(kind.field())) {
                    Ok(uid) => uid.map(|uid| uid.user_partition()),
                    Err(e) => {
                        warn!(error = %e, "participants answer has an unusable id; left out");
                        None
                    }
                })
                .collect(),
            Err(e) => {
                warn!(error = %e, "participants lookup failed; broadcasting to the booking only");
                Vec::new()
            }
        }
    }

    /// Connection ids of `kind` in these partitions, each once; failed lookups go to `missed`.
    async fn connections_in(
        &self,
        partitions: &[String],
        kind: ConnectionType,
        missed: &mut Vec<RegistryError>,
    ) -> Vec<String> {
        let lookups = partitions
            .iter()
            .map(|p| self.metered_registry.by_partition(p));
        let mut ids = BTreeSet::new();
        for (partition, found) in partitions
            .iter()
            .zip(futures::future::join_all(lookups).await)
        {
            match found {
                Ok(items) => ids.extend(
                    items
                        .into_iter()
                        .filter(|i| i.connection_type == kind)
                        .map(|i: ConnectionItem| i.connection_id),
                ),
                Err(e) => {
                    warn!(partition = %partition, error = %e, "registry lookup failed");
                    missed.push(e);
                }
            }
        }
        ids.into_iter().collect()
    }
}
