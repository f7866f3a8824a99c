// Package room holds the chat room actors' cores (docs/rooms.md is the design): the registry
// (entity rooms/registry), which lists the rooms this node joined or relays in persist.Rooms,
// and one core per room (entity room/<id>), which checks, stores, orders and serves the room's
// envelopes in persist.Chat under room/<id>/.
//
// The daemon registers them like the vault kinds:
//
//	reg, _ := node.Register(messages.RoomsKind, room.LoadRegistry)
//	rooms, _ := node.Register(messages.RoomKind, room.Load(room.Deps{
//		Unseal: keys.Open,                 // opens CreateRoom.SealedKey (messages.ChatKeyPurpose)
//		NodeID: peerID.String(),           // this node: the sender of its messages
//		Sign:   room.Signer(nodePrivKey),  // the node's libp2p Ed25519 key
//		Verify: room.VerifyPeerSig,        // the key embedded in each sender's peer id
//	}))
//
// The registry answers CreateRoom, RelayRoom, DropRelay, ListRooms, ListPurging and
// GetRoomMeta (child id messages.RegistryID); a room answers SendMessage, ReceiveEnvelopes,
// ListMessages, MarkRead, ReceiveReceipt, GetRoomStatus, ChatSince, GetChatFile, ListChatFiles
// and PurgeRoom (child id: the room id). After DropRelay succeeds, send PurgeRoom to the room:
// it deletes the room's records in batches, by timer.
package room
